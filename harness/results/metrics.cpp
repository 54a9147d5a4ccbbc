#include "results/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace pb::harness {

std::optional<double> little_bound(int connections, std::chrono::nanoseconds delay, std::chrono::nanoseconds work) {
    return little_bound_with_round_trip(connections, delay, work, 0);
}

std::optional<double> little_bound_with_round_trip(int connections, std::chrono::nanoseconds delay,
                                                   std::chrono::nanoseconds work, double round_trip_ms) {
    // Without a wait the handler is CPU bound and Little's law gives no
    // useful ceiling, so no bound is claimed.
    if (delay <= std::chrono::nanoseconds::zero()) return std::nullopt;
    const double per_request_s = std::chrono::duration<double>(delay + work).count() + round_trip_ms / 1e3;
    return static_cast<double>(connections) / per_request_s;
}

std::optional<double> efficiency(const RunResult& run) {
    const std::optional<double> bound = little_bound(run.connections, run.delay, run.work);
    if (!bound || *bound <= 0) return std::nullopt;
    return run.wrk.requests_per_second() / *bound;
}

std::optional<double> jain_index(std::span<const double> values) {
    if (values.empty()) return std::nullopt;
    double sum = 0, sum_of_squares = 0;
    for (double x : values) {
        sum += x;
        sum_of_squares += x * x;
    }
    if (sum_of_squares == 0) return std::nullopt;
    return sum * sum / (static_cast<double>(values.size()) * sum_of_squares);
}

std::optional<int> unserved_connections(const RunResult& run) {
    // A peer counts nothing for us: what the kernel held for it during most
    // of the run is all we see (at the very end wrk's closing drains it).
    if (run.kind == "peer" && run.wrk.duration_s > 0 && run.listen_queue.sampled) return run.listen_queue.median;
    if (run.workers.empty()) return std::nullopt;
    std::uint64_t accepted = 0;
    for (const WorkerRow& worker : run.workers) accepted += worker.connections;
    // Reconnects after errors can make the workers accept more connections
    // than wrk holds open, hence the signed arithmetic and the clamp.
    const std::int64_t not_accepted = static_cast<std::int64_t>(run.connections) - static_cast<std::int64_t>(accepted);
    const std::int64_t unserved = std::max<std::int64_t>({not_accepted, run.listen_queue.at_end, 0});
    return static_cast<int>(unserved);
}

double cpu_percent(const ProcessUsage& usage, double wall_seconds) {
    // No window, no rate: callers that write results leave the field empty
    // in that case rather than rely on this 0.
    if (wall_seconds <= 0) return 0;
    return 100.0 * usage.cpu_s() / wall_seconds;
}

std::optional<double> nearest_rank(std::vector<double> values, double p) {
    if (values.empty() || !(p > 0) || p > 100) return std::nullopt;
    std::sort(values.begin(), values.end());
    // The rank ceil(p/100 * n), 1-based; a hair below it so that 99 % of 100
    // is rank 99, not 100 through rounding.
    const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()) - 1e-9);
    const std::size_t index = static_cast<std::size_t>(std::max(rank, 1.0)) - 1;
    return values[std::min(index, values.size() - 1)];
}

std::optional<ClientBound> client_bound(const RunResult& run) {
    // The open loop judges itself: its send lateness and its answered share.
    if (run.generator == "open") {
        if (run.wrk.duration_s <= 0) return std::nullopt;
        return ClientBound{run.open.client_bound, run.open.client_bound_reason};
    }
    // wrk on several clients was judged machine by machine (wrk_fleet.cpp).
    if (!run.fleet.clients.empty()) {
        if (run.wrk.duration_s <= 0 || !run.fleet.client_bound) return std::nullopt;
        return ClientBound{*run.fleet.client_bound, run.fleet.client_bound_reason};
    }
    if (run.wrk.duration_s <= 0 || run.wrk_usage.processes == 0 || run.wrk_cpus <= 0) return std::nullopt;
    // wrk runs one thread per -t: fewer threads than CPUs cannot fill them.
    const int usable = run.threads > 0 ? std::min(run.threads, run.wrk_cpus) : run.wrk_cpus;
    const double share = cpu_percent(run.wrk_usage, run.wrk.duration_s) / (100.0 * usable);
    if (share < client_bound_share) return ClientBound{};
    const std::string of = usable == run.wrk_cpus ? fmt::format("its {} CPU{}", usable, usable == 1 ? "" : "s")
                                                  : fmt::format("the {} CPUs its {} threads can use", usable, run.threads);
    return ClientBound{true, fmt::format("wrk used {:.1f} % of {} (at least {:.0f} %)", 100.0 * share, of,
                                         100.0 * client_bound_share)};
}

std::optional<ClientBound> client_bound_by_machine(const std::vector<MachineLoad>& machines) {
    ClientBound verdict;
    bool unknown = false;
    for (const MachineLoad& machine : machines) {
        const int usable = std::min(machine.threads, machine.cpus);
        if (!machine.known || usable <= 0 || machine.window_s <= 0) {
            unknown = true;
            continue;
        }
        const double share = machine.cpu_s / machine.window_s / usable;
        if (share < client_bound_share) continue;
        verdict.bound = true;
        verdict.reason += fmt::format("{}{}: wrk used {:.1f} % of the {} CPU{} its threads can use there (at least {:.0f} %)",
                                      verdict.reason.empty() ? "" : "; ", machine.names, 100.0 * share, usable,
                                      usable == 1 ? "" : "s", 100.0 * client_bound_share);
    }
    if (!verdict.bound && unknown) return std::nullopt;
    return verdict;
}

} // namespace pb::harness
