#pragma once
// The remote hosts of a scenario for the whole of it: each connected once
// (ssh_session.hpp), prepared (host_preparation.hpp), its facts read with
// pb-remote and its link measured (host_link.hpp), all before the first run.
// meta.json records each under its name. Destroying this closes every
// connection and removes the control directory.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "remote/host_link.hpp"
#include "remote/host_preparation.hpp"
#include "remote/ssh_session.hpp"
#include "scenario/scenario.hpp"

namespace pb::harness {

struct RemoteHost {
    std::unique_ptr<SshSession> session;
    std::vector<std::string> roles; // "server", "client"
    PreparedHost prepared;
    HostLink link;
    nlohmann::json facts;
    // A client host of a scenario with wrk: wrk on its PATH and what `wrk -v` says.
    std::filesystem::path wrk;
    std::string wrk_version;

    std::filesystem::path pb_remote() const { return prepared.build_dir / "harness" / "pb-remote"; }
    std::string name() const { return session->name(); }
};

class RemoteHosts {
public:
    // Connects to and prepares every remote host of the scenario, in order;
    // progress on stdout, a line per host. Throws naming the host that failed.
    RemoteHosts(const Scenario& scenario, const std::filesystem::path& local_build_dir,
                const std::filesystem::path& source_dir);
    ~RemoteHosts();
    RemoteHosts(const RemoteHosts&) = delete;
    RemoteHosts& operator=(const RemoteHosts&) = delete;

    RemoteHost& at(const SshTarget& target);
    const std::vector<RemoteHost>& all() const { return hosts_; }

    // {"ssh://...": {"roles", "prepared", "build_dir", "sha256", "ssh": {rtt, offset}, "facts"}, ...}
    nlohmann::json meta() const;

    // On every host, the processes carrying `marker` (with prefix, any entry
    // starting with it): named in the returned sentence ("" when there were
    // none), and ended when kill.
    std::string leftovers(const std::string& marker, bool prefix, bool kill) const;

private:
    std::filesystem::path control_dir_;
    std::vector<RemoteHost> hosts_;
};

} // namespace pb::harness
