#include "remote/remote_hosts.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdexcept>

#include "common/system_error.hpp"

namespace pb::harness {
namespace {

// pb-ssh-<harness PID>-XXXXXX: a harness that was SIGKILLed could not remove
// its own, so each removes those whose harness is gone.
void remove_stale_directories(const std::filesystem::path& temp) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(temp, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("pb-ssh-", 0) != 0) continue;
        pid_t pid = 0;
        const auto [end, bad] = std::from_chars(name.data() + 7, name.data() + name.size(), pid);
        if (bad != std::errc() || end == name.data() + name.size() || *end != '-' || pid <= 0) continue;
        if (::kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove_all(entry.path(), error);
    }
}

std::filesystem::path private_directory() {
    const std::filesystem::path temp = std::filesystem::temp_directory_path();
    remove_stale_directories(temp);
    std::string pattern = (temp / fmt::format("pb-ssh-{}-XXXXXX", ::getpid())).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw_system_error("mkdtemp", pattern);
    return pattern;
}

std::vector<std::string> roles_of(const Hosts& hosts, const SshTarget& target) {
    std::vector<std::string> roles;
    if (!hosts.server.local() && hosts.server.ssh->url() == target.url()) roles.emplace_back("server");
    for (const ClientHost& client : hosts.clients)
        if (!client.host.local() && client.host.ssh->url() == target.url()) roles.emplace_back("client");
    return roles;
}

bool has(const std::vector<std::string>& roles, const char* role) {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
}

// wrk is the host's own (not part of the build): its path on the host's
// PATH, and the first line of `wrk -v` (which exits 1).
void find_wrk(RemoteHost& host) {
    const RemoteOutput found =
        host.session->run({"sh", "-c", "command -v wrk && { wrk -v 2>&1 | head -n 1; true; }"});
    const std::string& out = found.out;
    const auto end = out.find('\n');
    if (found.exit_status != 0 || end == std::string::npos || end == 0)
        throw std::runtime_error(fmt::format("{}: wrk not found on its PATH (Debian: apt install wrk), needed by [wrk] "
                                             "on a client host", host.name()));
    host.wrk = out.substr(0, end);
    host.wrk_version = out.substr(end + 1);
    while (!host.wrk_version.empty() && host.wrk_version.back() == '\n') host.wrk_version.pop_back();
}

} // namespace

RemoteHosts::RemoteHosts(const Scenario& scenario, const std::filesystem::path& local_build_dir,
                         const std::filesystem::path& source_dir)
    : control_dir_(private_directory()) {
    const Hosts& hosts = scenario.hosts;
    SshSettings settings;
    settings.options = hosts.ssh_options;
    settings.identity = hosts.identity;
    settings.control_dir = control_dir_;
    try {
        for (const SshTarget& target : hosts.remote_hosts()) {
            RemoteHost host;
            fmt::print("host {}: connecting ... ", target.url());
            std::fflush(stdout);
            host.session = std::make_unique<SshSession>(target, settings);
            host.roles = roles_of(hosts, target);
            host.prepared = prepare_host(*host.session, hosts, local_build_dir, source_dir,
                                         needed_files(has(host.roles, "server"), has(host.roles, "client")));
            const RemoteOutput facts = host.session->run({host.pb_remote().string(), "facts"});
            if (facts.exit_status != 0)
                throw std::runtime_error(fmt::format("{}: pb-remote facts failed (exit {}): {}", target.url(), facts.exit_status, facts.err));
            try {
                host.facts = nlohmann::json::parse(facts.out);
            } catch (const nlohmann::json::exception& error) {
                throw std::runtime_error(fmt::format("{}: pb-remote facts printed no JSON: {}", target.url(), error.what()));
            }
            if (has(host.roles, "client") && scenario.mode == Mode::wrk && scenario.generator == Generator::wrk) find_wrk(host);
            host.link = measure_link(*host.session, host.pb_remote());
            fmt::print("{} ({}), ssh round trip {:.3f} ms (a command {:.0f} ms), clock offset {:+.3f} ms (± {:.3f})\n",
                       host.prepared.how, fmt::join(host.roles, " and "), host.link.rtt_ms, host.link.command_ms,
                       host.link.clock_offset_ms, host.link.offset_uncertainty_ms);
            hosts_.push_back(std::move(host));
        }
    } catch (...) {
        fmt::print("\n");
        hosts_.clear();
        std::error_code ignored;
        std::filesystem::remove_all(control_dir_, ignored);
        throw;
    }
}

RemoteHosts::~RemoteHosts() {
    hosts_.clear(); // each session closes its master
    std::error_code ignored;
    std::filesystem::remove_all(control_dir_, ignored);
}

RemoteHost& RemoteHosts::at(const SshTarget& target) {
    for (RemoteHost& host : hosts_)
        if (host.session->target().url() == target.url()) return host;
    throw std::logic_error("not a prepared host: " + target.url());
}

nlohmann::json RemoteHosts::meta() const {
    nlohmann::json out = nlohmann::json::object();
    for (const RemoteHost& host : hosts_) {
        out[host.name()] = {{"roles", host.roles},
                            {"prepared", host.prepared.how},
                            {"build_dir", host.prepared.build_dir.string()},
                            {"sha256", host.prepared.sha256},
                            {"ssh",
                             {{"rtt_ms", host.link.rtt_ms},
                              {"rtt_min_ms", host.link.rtt_min_ms},
                              {"command_ms", host.link.command_ms},
                              {"clock_offset_ms", host.link.clock_offset_ms},
                              {"clock_offset_uncertainty_ms", host.link.offset_uncertainty_ms},
                              {"probes", host.link.probes}}},
                            {"facts", host.facts}};
        if (!host.wrk.empty()) out[host.name()]["wrk"] = {{"path", host.wrk.string()}, {"version", host.wrk_version}};
    }
    return out;
}

std::string RemoteHosts::leftovers(const std::string& marker, bool prefix, bool kill) const {
    std::string found;
    for (const RemoteHost& host : hosts_) {
        std::vector<std::string> argv = {host.pb_remote().string(), "leftovers", "--marker", marker};
        if (prefix) argv.emplace_back("--prefix");
        if (kill) argv.emplace_back("--kill");
        const RemoteOutput out = host.session->run(argv);
        if (out.exit_status == 0) continue;
        std::string listed = out.out;
        while (!listed.empty() && listed.back() == '\n') listed.pop_back();
        found += fmt::format("{}{}: {}", found.empty() ? "" : "; ", host.name(), listed.empty() ? out.err : listed);
    }
    return found;
}

} // namespace pb::harness
