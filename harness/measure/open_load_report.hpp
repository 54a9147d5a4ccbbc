#pragma once
// Reads the JSON prefork-load writes (--json): what an open-loop run
// measured, in the shape the rest of the harness reads for wrk (WrkReport),
// plus what only an open loop knows.
#include <filesystem>
#include <string>

#include "measure/wrk_report.hpp"

namespace pb::harness {

struct OpenLoadReport {
    WrkReport load;                // requests = answered in the measured window; latency from the intended send
    double offered_rate = 0;
    double achieved_rate = 0;
    std::uint64_t scheduled = 0;
    double lateness_p50_us = 0, lateness_p99_us = 0;
    std::uint64_t queued = 0;      // requests that waited for a free connection
    double wall_s = 0;             // the generator's whole run (warm-up and drain too): what the samplers span
    bool client_bound = false;
    std::string client_bound_reason;
};

// Throws std::runtime_error naming the file and the missing or bad key.
OpenLoadReport parse_open_load_report(const std::filesystem::path& file);

} // namespace pb::harness
