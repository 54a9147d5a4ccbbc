#pragma once
// Everything prefork-load is told on its command line, checked: a bad value
// is one line naming the flag, and exit status 2.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "load/cost_distribution.hpp"
#include "load/schedule.hpp"

namespace pb::load {

struct LoadOptions {
    std::string url;
    double rate = 0;                                  // requests/s offered; 0 only with --closed
    std::chrono::nanoseconds duration{std::chrono::seconds(10)}; // measured, after the warm-up
    std::chrono::nanoseconds warmup{0};
    int connections = 64;
    int threads = 1;
    Arrival arrival = Arrival::poisson;
    std::vector<CostDistribution> costs;
    std::uint64_t seed = 1;
    bool connect_per_request = false;                 // a new connection per request, Connection: close
    bool closed = false;                              // closed loop: each connection sends when answered
    std::chrono::nanoseconds timeout{std::chrono::seconds(8)};
    std::filesystem::path json;                       // empty: none
    std::filesystem::path write_schedule;             // the planned schedule's file (schedule_file.hpp); empty: none
    bool schedule_only = false;                       // write it and exit: no connection
    std::vector<std::string> headers;                 // empty: the documented wrk headers
    std::vector<int> cpus;                            // the threads' CPUs, round robin; empty: not pinned
    bool realtime = false;                            // SCHED_FIFO
    std::chrono::nanoseconds spin{100'000};           // spin this long before each send (0: sleep to the send time)
    std::chrono::nanoseconds progress{std::chrono::seconds(5)}; // 0: no progress line
};

// The headers of the documented wrk command.
std::vector<std::string> documented_headers();

// Parses argv. Returns the options, or the exit status when the program
// must end now (0 after --help, 2 after a message on stderr).
struct ParsedOptions {
    std::optional<LoadOptions> options;
    int exit_status = 0;
};
ParsedOptions parse_load_options(int argc, char** argv);

} // namespace pb::load
