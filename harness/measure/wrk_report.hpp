#pragma once
// Reads the JSON that wrk/report.lua writes when wrk finishes.
#include <cstdint>
#include <filesystem>
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

// Converts wrk's microseconds to the milliseconds and seconds of WrkReport.
// Throws std::runtime_error naming the file and the missing or bad key.
WrkReport parse_wrk_report(const std::filesystem::path& file);

} // namespace pb::harness
