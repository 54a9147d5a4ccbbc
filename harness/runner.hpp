#pragma once
// One run of a scenario: start the server, check it, warm up, measure with
// wrk while sampling /proc, stop the server, collect its counters. Every
// process started here is stopped here, by PID, also on failure and Ctrl-C.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>

#include "launch/affinity.hpp"
#include "scenario/peer_definition.hpp"
#include "scenario/run_plan.hpp"
#include "results/run_result.hpp"
#include "scenario/scenario.hpp"
#include "remote/remote_hosts.hpp"

namespace pb::harness {

// How often the server's and wrk's process trees are sampled while wrk measures.
inline constexpr std::chrono::milliseconds sample_interval{100};

struct RunContext {
    const Scenario* scenario = nullptr;
    std::filesystem::path build_dir;   // where the server binaries are
    std::filesystem::path wrk_path;
    std::filesystem::path wrk_script;  // harness/wrk/report.lua
    std::filesystem::path raw_dir;     // results/.../raw
    Pinning pinning;
    int wrk_cpus = 0;                  // CPUs wrk may run on: its pinning's, or all allowed at start
    std::map<std::string, PeerDefinition> peers; // the scenario's peers by name (peer_definition.hpp)
    std::string run_marker;            // unique to this harness process; each run adds ".ID"
    const std::atomic<bool>* interrupted = nullptr; // set by SIGINT/SIGTERM
    // [hosts] with other hosts: each connected and prepared (remote/), the
    // directory of this scenario's files on each, and the marker of what the
    // harness starts there ("PREFORK_BENCH_REMOTE_RUN=HOST.PID"; each run adds ".ID").
    RemoteHosts* remote = nullptr;
    std::filesystem::path remote_dir;
    std::string remote_marker;
};

// Ours: the full command but --listen and --stats. A peer: its program and
// arguments with @port@ and @dir@ left as they are (known only at start).
std::vector<std::string> server_command(const RunContext& context, const ServerSpec& server);
std::vector<std::string> wrk_command(const RunContext& context, int connections,
                                     std::chrono::nanoseconds duration, std::uint16_t port);
// Where a wrk runs (several clients, other hosts): its program and report
// script as paths on its host, and the server's address as seen from there.
struct WrkPlace {
    std::filesystem::path program, script;
    std::string server_host = "127.0.0.1";
};
std::vector<std::string> wrk_command(const RunContext& context, int connections, std::chrono::nanoseconds duration,
                                     std::uint16_t port, const WrkPlace& place);

RunResult execute_run(const RunContext& context, const PlannedRun& planned);

} // namespace pb::harness
