#pragma once
// What one run measured: the data every harness stage fills in or reads.
// One place fills each part (noted per field); results_writer.cpp writes it.
#include <chrono>
#include <string>
#include <vector>

#include "measure/listen_queue.hpp"
#include "measure/process_usage.hpp"
#include "measure/stats_csv.hpp"
#include "measure/wrk_report.hpp"

namespace pb::harness {

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
