#include "remote/host_preparation.hpp"

#include <fmt/format.h>
#include <sstream>
#include <stdexcept>

#include "common/child_process.hpp"
#include "host/host_info.hpp"
#include "remote/shell_words.hpp"

namespace pb::harness {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// sha256sum's lines ("HASH  FILE"), by file.
std::map<std::string, std::string> parse_sums(const std::string& text) {
    std::map<std::string, std::string> sums;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        const auto space = line.find("  ");
        if (space == 64) sums[line.substr(66)] = line.substr(0, 64);
    }
    return sums;
}

std::vector<std::string> names(const std::vector<std::filesystem::path>& files) {
    std::vector<std::string> out;
    for (const auto& file : files) out.push_back(file.string());
    return out;
}

std::map<std::string, std::string> remote_sha256(const SshSession& session, const std::filesystem::path& dir,
                                                 const std::vector<std::filesystem::path>& files) {
    std::vector<std::string> argv = {"sh", "-c", "cd \"$1\" && shift && sha256sum -- \"$@\" 2>/dev/null; exit 0", "sh",
                                     dir.string()};
    for (const std::string& file : names(files)) argv.push_back(file);
    return parse_sums(session.run(argv, minutes(2)).out);
}

// The first file whose hash differs, as a sentence; "" when all match.
std::string first_difference(const std::map<std::string, std::string>& here, const std::map<std::string, std::string>& there) {
    for (const auto& [file, sum] : here) {
        const auto found = there.find(file);
        if (found == there.end()) return fmt::format("{} is missing there", file);
        if (found->second != sum) return fmt::format("{} differs from the local build's", file);
    }
    return "";
}

// "x86_64 Debian GNU/Linux 12 (bookworm)": what a copied build must match.
std::string platform_here() {
    const nlohmann::json facts = host_facts();
    return fmt::format("{} {}", facts["kernel"]["machine"].is_string() ? facts["kernel"]["machine"].get<std::string>() : "?",
                       facts["os"].is_string() ? facts["os"].get<std::string>() : "?");
}

std::string platform_there(const SshSession& session) {
    const RemoteOutput out = session.run({"sh", "-c", ". /etc/os-release 2>/dev/null; printf '%s %s' \"$(uname -m)\" \"${PRETTY_NAME:-?}\""});
    return out.out;
}

void copy_build(const SshSession& session, const std::filesystem::path& local_dir, const std::filesystem::path& remote_dir,
                const std::vector<std::filesystem::path>& files) {
    if (session.run({"mkdir", "-p", "--", remote_dir.string()}).exit_status != 0)
        throw std::runtime_error(fmt::format("{}: cannot create {}", session.name(), remote_dir.string()));
    // rsync runs ssh over the session's master: -e is that ssh's command line.
    std::vector<std::string> ssh = session.command({});
    ssh.pop_back(); // the empty command
    ssh.pop_back(); // the destination: rsync adds it
    std::vector<std::string> argv = {"rsync", "-a", "--relative", "-e", shell_line(ssh)};
    for (const std::string& file : names(files)) argv.push_back("./" + file);
    argv.push_back(fmt::format("{}:{}/", session.target().destination(), remote_dir.string()));
    std::vector<std::string> in_dir = {"sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", local_dir.string()};
    in_dir.insert(in_dir.end(), argv.begin(), argv.end());
    const std::optional<Captured> done = capture_output(in_dir, true, minutes(10));
    if (!done || done->exit_status != 0)
        throw std::runtime_error(fmt::format("{}: rsync of the build to {} failed: {}", session.name(), remote_dir.string(),
                                             done ? done->output : "rsync not found (Debian: rsync)"));
}

// This commit's source, unpacked on the host and built there.
std::string build_there(const SshSession& session, const std::filesystem::path& source_dir, const std::filesystem::path& remote_dir) {
    const std::optional<Captured> head = capture_output({"git", "-C", source_dir.string(), "rev-parse", "HEAD"}, false);
    if (!head || head->exit_status != 0) throw std::runtime_error(fmt::format("{}: not a git checkout: prepare = \"build\" sends a commit", source_dir.string()));
    const std::string commit = head->output.substr(0, head->output.find('\n'));
    // The host would build the commit, not the edits: refuse what it would not have.
    const std::optional<Captured> status =
        capture_output({"git", "-C", source_dir.string(), "status", "--porcelain", "--untracked-files=no"}, false);
    if (!status || status->exit_status != 0 || !status->output.empty())
        throw std::runtime_error(fmt::format("{}: prepare = \"build\" sends commit {}, but {} has uncommitted changes: "
                                             "commit them first", session.name(), commit, source_dir.string()));
    const std::string unpack = shell_line(session.command({"sh", "-c", "mkdir -p \"$1\" && tar -x -C \"$1\"", "sh", remote_dir.string()}));
    const std::optional<Captured> sent = capture_output(
        {"bash", "-o", "pipefail", "-c", fmt::format("git -C {} archive --format=tar {} | {}", shell_quoted(source_dir.string()), commit, unpack)}, true,
        minutes(10));
    if (!sent || sent->exit_status != 0)
        throw std::runtime_error(fmt::format("{}: sending the source of {} failed: {}", session.name(), commit, sent ? sent->output : "?"));
    const RemoteOutput built = session.run({"make", "-C", remote_dir.string(), "build"}, minutes(60));
    if (built.exit_status != 0)
        throw std::runtime_error(fmt::format("{}: make build in {} failed (exit {}): {}", session.name(), remote_dir.string(),
                                             built.exit_status, built.err.substr(built.err.size() > 2000 ? built.err.size() - 2000 : 0)));
    return commit;
}

} // namespace

std::vector<std::filesystem::path> needed_files(bool server, bool clients) {
    std::vector<std::filesystem::path> files = {"harness/pb-remote"};
    if (server)
        for (const char* binary : {"servers/prefork_epoll/prefork-epoll", "servers/threadpool/threadpool",
                                   "servers/accept_mutex_fork/accept-mutex-fork"})
            files.emplace_back(binary);
    if (clients) files.insert(files.end(), {"load/prefork-load", "harness/report.lua"});
    return files;
}

std::map<std::string, std::string> local_sha256(const std::filesystem::path& dir, const std::vector<std::filesystem::path>& files) {
    for (const auto& file : files)
        if (!std::filesystem::exists(dir / file))
            throw std::runtime_error(fmt::format("{} not found (`make build` builds it)", (dir / file).string()));
    std::vector<std::string> argv = {"sh", "-c", "cd \"$1\" && shift && exec sha256sum -- \"$@\"", "sh", dir.string()};
    for (const std::string& file : names(files)) argv.push_back(file);
    const std::optional<Captured> done = capture_output(argv, false, minutes(2));
    if (!done || done->exit_status != 0) throw std::runtime_error("sha256sum of the local build failed");
    return parse_sums(done->output);
}

PreparedHost prepare_host(const SshSession& session, const Hosts& hosts, const std::filesystem::path& local_build_dir,
                          const std::filesystem::path& source_dir, const std::vector<std::filesystem::path>& files) {
    PreparedHost prepared;
    if (hosts.prepare == Prepare::build) {
        const std::string commit = build_there(session, source_dir, hosts.source_dir);
        prepared.build_dir = hosts.source_dir / "build";
        prepared.sha256 = remote_sha256(session, prepared.build_dir, files);
        for (const auto& file : files)
            if (!prepared.sha256.count(file.string()))
                throw std::runtime_error(fmt::format("{}: make build made no {}", session.name(), file.string()));
        prepared.how = "built from " + commit;
        return prepared;
    }
    prepared.build_dir = hosts.build_dir.empty() ? std::filesystem::absolute(local_build_dir) : hosts.build_dir;
    const std::map<std::string, std::string> here = local_sha256(local_build_dir, files);
    std::string difference = first_difference(here, remote_sha256(session, prepared.build_dir, files));
    prepared.how = "checked";
    if (!difference.empty() && hosts.prepare == Prepare::copy) {
        const std::string local = platform_here(), remote = platform_there(session);
        if (local != remote)
            throw std::runtime_error(fmt::format("{}: prepare = \"copy\" needs this machine's platform ({}), the host has {}: "
                                                 "use prepare = \"build\"", session.name(), local, remote));
        copy_build(session, local_build_dir, prepared.build_dir, files);
        difference = first_difference(here, remote_sha256(session, prepared.build_dir, files));
        prepared.how = "copied";
    }
    if (!difference.empty())
        throw std::runtime_error(fmt::format("{}: in {}: {} (prepare = \"copy\" copies the build there, \"build\" builds it there)",
                                             session.name(), prepared.build_dir.string(), difference));
    prepared.sha256 = here;
    return prepared;
}

} // namespace pb::harness
