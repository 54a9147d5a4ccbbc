#pragma once
// What must hold before any run: wrk is installed and the harness may open
// enough files. What merely skews results (frequency scaling, a small
// somaxconn, one CPU) becomes a warning.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pb::harness {

struct Preflight {
    std::string wrk_path;
    std::string wrk_version; // "" when `wrk -v` printed nothing
    int cpus = 0;            // CPUs this process may run on
    std::optional<std::string> governor;
    std::optional<int> somaxconn;
    std::uint64_t nofile_soft = 0, nofile_hard = 0; // after raising; RLIM_INFINITY as is
};

// Checks and reads everything above; throws std::runtime_error when wrk is
// not on PATH or the open-file limit cannot cover max_connections. Without
// need_wrk (an idle-connections scenario) wrk is neither needed nor looked for.
Preflight run_preflight(int max_connections, bool need_wrk = true);

struct NofileLimit {
    std::uint64_t soft = 0, hard = 0;
};

// Makes sure RLIMIT_NOFILE's soft limit covers max_connections sockets plus
// a margin, raising it toward the hard limit if needed (the server and wrk
// inherit it). Throws std::runtime_error with the numbers when the hard limit
// is too low.
NofileLimit ensure_nofile_limit(int max_connections);

inline constexpr std::uint64_t nofile_margin = 256; // listeners, pipes, logs, stats files

// What in a Preflight can skew the results, one sentence each.
std::vector<std::string> preflight_warnings(const Preflight& preflight, int max_connections);

} // namespace pb::harness
