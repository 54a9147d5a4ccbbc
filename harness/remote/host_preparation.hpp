#pragma once
// Getting a host this build's binaries before a run, as [hosts] prepare
// says: check that the files there are the local build's (by SHA-256),
// copy them there (rsync, only when the host's OS and CPU architecture are
// this machine's), or send this commit's source (git archive) and build it
// there (make build). A host that cannot be prepared is refused, naming it
// and the file.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "remote/ssh_session.hpp"
#include "scenario/hosts.hpp"

namespace pb::harness {

struct PreparedHost {
    std::filesystem::path build_dir;           // on the host
    std::map<std::string, std::string> sha256; // each needed file (relative to build_dir) on the host
    std::string how;                           // "checked", "copied", "built from COMMIT"
};

// What a host runs below the build directory: pb-remote always, the server
// binaries if it serves, prefork-load and wrk's report script if it loads.
std::vector<std::filesystem::path> needed_files(bool server, bool clients);

// The SHA-256 of each file below dir on this machine; a missing one throws, naming it.
std::map<std::string, std::string> local_sha256(const std::filesystem::path& dir,
                                                const std::vector<std::filesystem::path>& files);

PreparedHost prepare_host(const SshSession& session, const Hosts& hosts, const std::filesystem::path& local_build_dir,
                          const std::filesystem::path& source_dir, const std::vector<std::filesystem::path>& files);

} // namespace pb::harness
