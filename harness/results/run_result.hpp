#pragma once
// What one run measured: the data every harness stage fills in or reads.
// One place fills each part (noted per field); results_writer.cpp writes it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "measure/listen_queue.hpp"
#include "measure/process_usage.hpp"
#include "measure/tree_sampler.hpp"
#include "measure/stats_csv.hpp"
#include "measure/wrk_report.hpp"

namespace pb::harness {

// suspect: measured to the end, but something the figures rest on went
// wrong (a /proc sample failed, the server vanished from a sample): the
// numbers are kept and marked, with the reason.
enum class RunStatus { ok, suspect, failed, interrupted };

// What an idle-connections run measured (idle_run.cpp): the server's PSS
// before and with every connection held, and requests on new connections
// timed while they were held.
struct IdleResult {
    bool measured = false;           // every connection was held when the PSS was read
    int held = 0;                    // connections open at that reading
    std::uint64_t pss_before_bytes = 0; // after the health check, before the first connection
    std::uint64_t pss_held_bytes = 0;   // with all held, after the settle time
    std::uint64_t pss_after_bytes = 0;  // after the probes, still held (0: not read)
    int server_processes = 0;        // processes summed at the reading with all held
    std::vector<double> probe_ms;    // one per probe, in order
    int dropped = 0;                 // held connections the server closed or reset before the end

    // (held − before) / held; nothing before the reading.
    std::optional<double> bytes_per_connection() const;
};

// What an open-loop run adds (generator "open", runner.cpp).
struct OpenRun {
    std::string cost;               // the costs, ";" between them
    double offered_rate = 0;        // requests/s
    std::optional<double> utilization; // offered / capacity, when a work cost defines the capacity
    double lateness_p50_us = 0, lateness_p99_us = 0;
    std::uint64_t queued = 0;
    bool client_bound = false;      // prefork-load's own verdict
    std::string client_bound_reason;
    std::string loop = "open";      // "open" or "closed" (prefork-load --closed)
    double wall_s = 0;              // the generator's whole run: the window its and the server's CPU time span
};

// A run whose load came from several client processes or other hosts
// (open_fleet.cpp, wrk_fleet.cpp).
struct FleetRun {
    // Each client process ("NAME: command") and how far apart they started
    // (the start barrier's miss, on this machine's clock).
    std::vector<std::string> clients;
    double start_skew_ms = 0;
    double clock_uncertainty_ms = 0; // the skew is known to within this (the hosts' clock offsets)
    // The shortest round trip between a client and the server, as the SSH
    // link measured it (measured_fleet.hpp; ssh's own time included, so a
    // little long); 0 with client and server both here.
    std::optional<double> round_trip_ms;
    // wrk only. Each client's own report, in the order of `clients` (its
    // spectrum: latency-clients.csv); the run's latency is merged from
    // them and is not exact (wrk_report_merge.hpp). prefork-load's
    // histograms merge exactly and need neither.
    std::vector<WrkReport> wrk_reports;
    // wrk only: the client-bound verdict, judged machine by machine (each
    // against its own CPUs: metrics.hpp's client_bound_by_machine). Unset:
    // not known.
    std::optional<bool> client_bound;
    std::string client_bound_reason;
};

// A server's restarts under load and the kernel settings of its run.
struct Disturbance {
    std::string restart_signal;     // "KILL", "TERM"; empty: none
    int restarts = 0;               // signals sent (raw/run-NNN-restarts.csv)
    std::string sysctl;             // "name=value ..." set for the run
};

struct RunResult {
    // What was run (run_plan.cpp, runner.cpp).
    int id = 0;
    std::string server;        // the scenario's label for the server
    std::string kind = "ours"; // "ours" or "peer"
    std::string model;         // ours: prefork-epoll, threadpool, accept-mutex-fork; a peer: its name
    std::string flags;         // the server's extra flags, space separated
    int repetition = 0;        // 1-based
    int connections = 0;
    int threads = 0;           // wrk -t
    int pipeline = 1;          // requests per write (scenario wrk.pipeline)
    std::chrono::nanoseconds delay{0}, work{0};
    std::vector<std::string> server_command, wrk_command;
    std::string pinning;       // e.g. "server=0 wrk=1" or "none"

    RunStatus status = RunStatus::ok;
    std::string reason;        // why a run is suspect, failed or was interrupted; empty when ok
    int wrk_cpus = 0;          // CPUs wrk could run on (its pinning, or all allowed)

    // What was measured.
    WrkReport wrk;
    ProcessUsage server_usage, wrk_usage;
    SamplingCost sampling;     // of the server's and wrk's samplers together
    std::vector<WorkerRow> workers;
    ListenQueue listen_queue;
    bool server_killed = false; // did not exit after SIGTERM within the timeout
    std::string mode = "wrk";   // the scenario's mode: "wrk" or "idle-connections"
    IdleResult idle;            // idle-connections runs only
    std::string generator = "wrk"; // "wrk" or "open"
    OpenRun open;               // generator open only
    FleetRun fleet;             // several client processes or hosts only
    Disturbance disturbance;
};

std::string to_string(RunStatus status);

// An ok run becomes suspect because of `why`; a suspect one adds it to its
// reasons; a failed or interrupted one keeps its own reason.
void mark_suspect(RunResult& run, const std::string& why);

} // namespace pb::harness
