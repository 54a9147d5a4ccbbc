#pragma once
// pb-remote run: one command on a host, started (optionally at an agreed
// wall-clock time, the start barrier) in its own process group, and stopped
// with it. The harness holds the SSH channel's stdin open for the command's
// life: when it closes it (a stop) or the connection drops (the harness or
// the network died), the command gets SIGTERM, then its group SIGKILL after
// the grace period. Nothing started here outlives the channel.
//
// On stdout, before anything the command prints:
//   pb-remote: pid PID started_ns NS       (CLOCK_REALTIME at fork)
// and after it ended, with sample_interval set, its tree's usage over its life:
//   pb-remote: usage {"usage": ..., "cost": ..., "error": ""}
// and last:
//   pb-remote: exit STATUS                 (as describe_wait_status says it)
// The exit status is the command's (128 + signal when a signal ended it).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pb::hostside {

struct ChildRun {
    std::vector<std::string> argv;                         // argv[0] found on PATH if it has no '/'
    std::vector<std::pair<std::string, std::string>> env;  // added to the command's environment
    std::optional<std::int64_t> start_at_ns;               // CLOCK_REALTIME; nothing: at once
    std::chrono::milliseconds grace{10'000};               // SIGTERM to SIGKILL
    std::vector<int> cpus;                                 // empty: not pinned
    std::chrono::milliseconds sample_interval{0};          // > 0: sample the command's tree (a client's CPU)
};

// Runs it to its end; throws std::runtime_error naming the call that failed
// before the command started.
int run_child(const ChildRun& run);

} // namespace pb::hostside
