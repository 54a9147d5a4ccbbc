#pragma once
// The results of a run: the merged counters judged (was the generator the
// bottleneck?), as JSON for the harness and as one screen for a person.
#include <nlohmann/json.hpp>
#include <string>

#include "load/load_counters.hpp"
#include "load/load_options.hpp"

namespace pb::load {

struct LoadReport {
    const LoadOptions* options = nullptr;
    LoadCounters counters;          // merged over the threads
    double measured_s = 0;          // the measured window
    double offered_rate = 0;        // requests/s (closed loop: 0)
    std::uint64_t scheduled = 0;    // measured requests in the schedule
    double cpu_s = 0;               // the generator's own CPU time (user + system), whole run
    double wall_s = 0;              // the whole run, warm-up and drain included

    double achieved_rate() const { return measured_s > 0 ? static_cast<double>(counters.completed) / measured_s : 0; }
    double scheduled_rate() const { return measured_s > 0 ? static_cast<double>(scheduled) / measured_s : 0; }
};

struct ClientVerdict {
    bool bound = false;
    std::string reason; // empty when not bound
};

// Open loop: the generator is the bottleneck if its p99 send lateness is
// above max(100 µs, 5 % of the p50 latency), or it sent fewer than 99 % of
// the requests scheduled in the measured window. A closed loop sets its own
// rate: never.
ClientVerdict judge(const LoadReport& report);

nlohmann::json to_json(const LoadReport& report);
std::string summary_text(const LoadReport& report);

} // namespace pb::load
