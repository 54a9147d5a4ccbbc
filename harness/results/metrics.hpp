#pragma once
// The derived figures of one run (the columns of runs.csv); the figures over
// repetitions are plots/tables.py's. Pure functions,
// tested on hand-checked inputs.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "results/run_result.hpp"

namespace pb::harness {

// Little's law: with N connections each waiting W per request, at most N / W
// requests per second. Empty when the wait is zero (no bound applies).
std::optional<double> little_bound(int connections, std::chrono::nanoseconds delay, std::chrono::nanoseconds work);
// The same with each request's network round trip added (wrk across hosts):
// connections / (delay + work + round trip). Nothing without a wait, as above.
std::optional<double> little_bound_with_round_trip(int connections, std::chrono::nanoseconds delay,
                                                   std::chrono::nanoseconds work, double round_trip_ms);

// requests/s divided by the bound; empty without a bound.
std::optional<double> efficiency(const RunResult& run);

// Jain's fairness index of x: (sum x)^2 / (n * sum x^2); 1 = perfectly even,
// 1/n = one worker took everything. Empty for no data or all zeros.
std::optional<double> jain_index(std::span<const double> values);

// Connections of wrk that no worker accepted during the run: the larger of
// wrk's connections minus the connections accepted (from the workers' stats
// deltas), and what was left in the listen queue. A peer has no stats: the
// median length of its listen queue over the run. Empty without either.
std::optional<int> unserved_connections(const RunResult& run);

double cpu_percent(const ProcessUsage& usage, double wall_seconds);

// wrk ran out of CPU, so the req/s it reports ranks the client, not the server.
inline constexpr double client_bound_share = 0.9; // of the CPUs wrk could fill

struct ClientBound {
    bool bound = false;
    std::string reason; // empty when not bound
};

// From wrk's CPU time over the measured window against the CPUs it could
// fill: those it may run on, at most one per wrk thread. Empty when either is
// unknown (an idle-connections run, no wrk sample). An open-loop run carries
// prefork-load's own verdict.
std::optional<ClientBound> client_bound(const RunResult& run);

// What one machine's wrk processes did over a run that several wrk loaded:
// hosts that share a kernel (one boot_id) are one machine, with one set of CPUs.
struct MachineLoad {
    std::string names;   // its hosts as the scenario names them
    double cpu_s = 0;    // its wrk processes' CPU time over their window
    double window_s = 0; // the measured window
    int threads = 0;     // its wrk threads, all processes
    int cpus = 0;        // its CPUs
    bool known = true;   // every one of its processes' usage was read
};

// Bound where some machine's wrk used at least client_bound_share of the CPUs
// its threads can use there (the reason names each such machine); not bound
// where every machine was judged and none was; nothing where none was bound
// and one could not be judged.
std::optional<ClientBound> client_bound_by_machine(const std::vector<MachineLoad>& machines);

// The nearest-rank percentile (0 < p <= 100): the smallest value that at
// least p % of the values do not exceed; p = 100 is the maximum. Empty for
// no values. For the idle-connections probes, where every sample is kept.
std::optional<double> nearest_rank(std::vector<double> values, double p);

} // namespace pb::harness
