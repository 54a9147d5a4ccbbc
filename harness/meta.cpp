#include "meta.hpp"

#include <csignal>
#include <cstring>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include "common/child_process.hpp"
#include "common/file_text.hpp"
#include "common/units.hpp"
#include "host/host_info.hpp"

namespace pb::harness {
namespace {

// The Debian version of a package a peer comes from; "not installed" else.
std::string package_version(const std::string& package) {
    // The name is checked by load_peer (Debian's characters, no leading '-').
    const auto captured =
        capture_output({"dpkg-query", "-W", "-f=${db:Status-Abbrev} ${Version}\\n", package}, false);
    if (!captured) return "not installed";
    // "ii  1.22.1-9" for an installed package; one line per architecture.
    std::string_view text = captured->output;
    while (!text.empty()) {
        const std::string_view line = text.substr(0, text.find('\n'));
        text.remove_prefix(std::min(text.size(), line.size() + 1));
        if (line.substr(0, 2) != "ii") continue;
        const std::size_t start = line.find_first_not_of(' ', 2);
        if (start != std::string_view::npos) return std::string(line.substr(start));
    }
    return "not installed";
}

nlohmann::json peer_facts(const std::map<std::string, PeerDefinition>& peers) {
    nlohmann::json facts = nlohmann::json::object();
    for (const auto& [name, peer] : peers) {
        nlohmann::json packages = nlohmann::json::object();
        for (const std::string& package : peer.packages) packages[package] = package_version(package);
        // Relative to the source tree, so that the file names the commit's copy.
        std::filesystem::path file = peer.file.lexically_relative(PREFORK_BENCH_SOURCE_DIR);
        if (file.empty() || *file.begin() == "..") file = peer.file;
        const char* signal = sigabbrev_np(peer.stop_signal);
        facts[name] = {{"file", file.string()}, {"model", peer.model}, {"description", peer.description},
                       {"stop_signal", signal ? std::string("SIG") + signal : std::to_string(peer.stop_signal)},
                       {"packages", packages}};
    }
    return facts;
}

constexpr const char* iso_utc = "{:%Y-%m-%dT%H:%M:%SZ}";

} // namespace

nlohmann::json start_meta(const RunContext& context, const Preflight& preflight,
                          const std::filesystem::path& scenario_file, std::chrono::system_clock::time_point started) {
    const Scenario& scenario = *context.scenario;
    nlohmann::json meta = {
        {"scenario", {{"name", scenario.name}, {"file", scenario.file.string()}, {"description", scenario.description},
                      {"content", scenario.text}}},
        {"host", host_facts()},
        {"toolchain", toolchain_facts()},
        {"versions", {{"wrk", preflight.wrk_version}}},
        {"git", git_facts(PREFORK_BENCH_SOURCE_DIR)},
        {"pinning", {{"mode", scenario.pin}, {"description", context.pinning.describe()},
                     {"note", "wrk and the server share this machine; with split pinning they run on disjoint CPUs"}}},
        {"peers", peer_facts(context.peers)},
        {"harness_command", join_command({"prefork-bench", "run", scenario_file.string()})},
        {"started_utc", utc_stamp(started, iso_utc)},
        {"mode", to_string(scenario.mode)},
    };
    if (scenario.mode == Mode::idle_connections)
        meta["idle"] = {
            {"connections", scenario.idle.connections},
            {"batch", scenario.idle.batch},
            {"probes", scenario.idle.probes},
            {"settle", format_duration(scenario.idle.settle)},
            {"settle_s", std::chrono::duration<double>(scenario.idle.settle).count()},
            {"request", {{"method", "GET"}, {"path", "/"}, {"headers", documented_headers()}}},
            {"note", "PSS is the Pss line of /proc/PID/smaps_rollup summed over the server's process tree (user-space "
                     "memory only, not socket buffers); bytes per connection = (PSS with all held - PSS before the "
                     "first) / connections held; each probe is socket() + connect + GET + the whole response on a new "
                     "connection, one at a time, while all are held"},
        };
    return meta;
}

void finish_meta(nlohmann::json& meta, const std::vector<RunResult>& results, bool interrupted,
                 std::chrono::system_clock::time_point ended) {
    nlohmann::json commands = nlohmann::json::array();
    for (const RunResult& run : results)
        commands.push_back({{"run_id", run.id}, {"server", run.server}, {"server_command", join_command(run.server_command)},
                            {"wrk_command", join_command(run.wrk_command)},
                            // Not on wrk's command line: report.lua reads it from PREFORK_BENCH_PIPELINE.
                            {"wrk_pipeline", run.pipeline}});
    for (std::size_t i = 0; i < results.size(); ++i)
        if (!results[i].fleet.clients.empty()) {
            commands[i]["clients"] = results[i].fleet.clients;
            commands[i]["start_skew_ms"] = results[i].fleet.start_skew_ms;
            commands[i]["start_skew_uncertainty_ms"] = 2 * results[i].fleet.clock_uncertainty_ms;
        }
    meta["ended_utc"] = utc_stamp(ended, iso_utc);
    meta["runs"] = commands;
    meta["interrupted"] = interrupted;
}

void write_json(const std::filesystem::path& file, const nlohmann::json& value) {
    write_file_atomically(file, value.dump(2) + "\n");
}

std::string join_command(const std::vector<std::string>& argv) {
    std::string text;
    for (const std::string& arg : argv) {
        const bool plain = arg.find_first_of(" '\"*;$&|<>()") == std::string::npos && !arg.empty();
        std::string quoted = arg;
        if (!plain) {
            quoted = "'";
            for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
            quoted += "'";
        }
        text += (text.empty() ? "" : " ") + quoted;
    }
    return text;
}

std::string utc_stamp(std::chrono::system_clock::time_point when, const char* format) {
    return fmt::format(fmt::runtime(format), fmt::gmtime(std::chrono::system_clock::to_time_t(when)));
}

std::string hostname() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name[0] ? name : "unknown-host";
}

} // namespace pb::harness
