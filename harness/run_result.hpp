#pragma once
// What one run measured: the data every harness stage fills in or reads.
// One place fills each part (noted per field); results_writer.cpp writes it.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace pb::harness {

struct Percentile {
    double percentile = 0; // 0..100
    double latency_ms = 0;
};

// wrk's own summary, from the JSON that wrk/report.lua writes in done().
struct WrkReport {
    double duration_s = 0;
    std::uint64_t requests = 0;
    std::uint64_t bytes = 0;
    struct Errors {
        std::uint64_t connect = 0, read = 0, write = 0, status = 0, timeout = 0;
        std::uint64_t total() const { return connect + read + write + status + timeout; }
    } errors;
    double latency_min_ms = 0, latency_mean_ms = 0, latency_stdev_ms = 0, latency_max_ms = 0;
    std::vector<Percentile> percentiles; // ascending: 1..99 by 1, 99.9, 99.99, 99.999, 100

    double requests_per_second() const { return duration_s > 0 ? static_cast<double>(requests) / duration_s : 0; }
    double bytes_per_second() const { return duration_s > 0 ? static_cast<double>(bytes) / duration_s : 0; }
    // Latency at a percentile present in `percentiles`; NaN if absent.
    double latency_at(double percentile) const;
};

// CPU, memory and scheduling of a set of processes over the measured window,
// from /proc (process_usage.cpp).
struct ProcessUsage {
    double user_s = 0, system_s = 0;     // CPU time inside the window, from stat's tick counts
    // The same CPU time from schedstat, in nanoseconds of the scheduler's own
    // accounting: exact where the tick counts are not (a process that runs
    // 20 us at a time is charged a whole tick, or none). 0: unavailable.
    double runtime_s = 0;
    double peak_rss_mib = 0;             // largest sum of VmRSS seen over the processes
    std::uint64_t voluntary_switches = 0, involuntary_switches = 0; // all threads, inside the window
    int processes = 0, threads = 0;      // most seen at once

    double cpu_s() const { return runtime_s > 0 ? runtime_s : user_s + system_s; }
};

// One row of a server's --stats CSV (counters.hpp), as a delta over the
// measured window when a baseline was taken.
struct WorkerRow {
    int worker = 0;
    int pid = 0;
    std::uint64_t connections = 0, requests = 0, responses_2xx = 0, responses_4xx = 0, responses_5xx = 0;
    std::uint64_t parse_errors = 0, timeouts = 0, bytes_in = 0, bytes_out = 0, accept_errors = 0, respawns = 0;
};

// The listening socket's accept queue on the server port (listen_queue.cpp):
// connections the kernel completed but no worker accepted.
struct ListenQueue {
    bool sampled = false; // false: the queue could not be read, the figures mean nothing
    int max = 0;    // largest length seen during the measured run
    int at_end = 0; // length at the end of the measured run
    // The median over the samples: connections that waited for most of the
    // run, not a burst at its start or the closing at its end.
    int median = 0;
};

enum class RunStatus { ok, failed, interrupted };

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
    std::chrono::nanoseconds delay{0}, work{0};
    std::vector<std::string> server_command, wrk_command;
    std::string pinning;       // e.g. "server=0 wrk=1" or "none"

    RunStatus status = RunStatus::ok;
    std::string reason;        // why a run failed or was interrupted; empty when ok

    // What was measured.
    WrkReport wrk;
    ProcessUsage server_usage, wrk_usage;
    std::vector<WorkerRow> workers;
    ListenQueue listen_queue;
    bool server_killed = false; // did not exit after SIGTERM within the timeout
};

std::string to_string(RunStatus status);

} // namespace pb::harness
