#include "load/load_report.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "common/units.hpp"

namespace pb::load {
namespace {

constexpr double lateness_floor_us = 100;
constexpr double lateness_share_of_p50 = 0.05;
constexpr double rate_shortfall = 0.01;

// The percentiles every result names, as the JSON keys them.
constexpr std::pair<const char*, double> percentiles[] = {{"50", 50},     {"90", 90},       {"99", 99},
                                                          {"99.9", 99.9}, {"99.99", 99.99}, {"100", 100}};

nlohmann::json percentiles_of(const LatencyHistogram& histogram) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, p] : percentiles) out[key] = histogram.value_at_percentile(p);
    return out;
}

// Buckets as [lowest equivalent value, count] (mergeable later), with what
// buckets cannot carry: the exact extremes and the values above the range.
nlohmann::json histogram_of(const LatencyHistogram& histogram) {
    nlohmann::json buckets = nlohmann::json::array();
    for (const LatencyHistogram::Bucket& bucket : histogram.buckets()) buckets.push_back({bucket.value_us, bucket.count});
    return {{"unit", "us"},
            {"significant_digits", 3},
            {"count", histogram.count()},
            {"min_us", histogram.min()},
            {"max_us", histogram.max()},
            {"saturated", histogram.saturated()},
            {"buckets", buckets}};
}

std::string ms(std::uint64_t us) { return fmt::format("{:.3f}", static_cast<double>(us) / 1000.0); }

} // namespace

ClientVerdict judge(const LoadReport& report) {
    if (report.options->closed) return {};
    const double p99_late = static_cast<double>(report.counters.lateness.value_at_percentile(99));
    const double p50 = static_cast<double>(report.counters.latency.value_at_percentile(50));
    const double allowed = std::max(lateness_floor_us, lateness_share_of_p50 * p50);
    if (report.counters.lateness.count() > 0 && p99_late > allowed)
        return {true, fmt::format("p99 send lateness {:.0f} µs above {:.0f} µs (max of 100 µs and 5 % of the p50 "
                                  "latency): the generator could not send on time",
                                  p99_late, allowed)};
    // Against what the schedule really held (Poisson arrivals scatter the
    // count around rate x duration by its square root), and by what the
    // generator sent, late or not: answers that did not come are the
    // server's doing (errors, timeouts), not the generator's.
    if (report.scheduled > 0 &&
        static_cast<double>(report.counters.measured_sent) < (1 - rate_shortfall) * static_cast<double>(report.scheduled))
        return {true, fmt::format("sent {} of the {} requests scheduled in the measured window, more than 1 % short",
                                  report.counters.measured_sent, report.scheduled)};
    return {};
}

nlohmann::json to_json(const LoadReport& report) {
    const LoadOptions& options = *report.options;
    const LoadCounters& c = report.counters;
    const ClientVerdict verdict = judge(report);
    nlohmann::json costs = nlohmann::json::array();
    for (const CostDistribution& cost : options.costs) costs.push_back(cost.describe());
    return {
        {"url", options.url},
        {"mode", options.closed ? "closed" : "open"},
        {"arrival", options.closed ? "" : (options.arrival == Arrival::poisson ? "poisson" : "uniform")},
        {"costs", costs},
        {"seed", options.seed},
        {"connections", options.connections},
        {"threads", options.threads},
        {"connect_per_request", options.connect_per_request},
        {"duration_s", report.measured_s},
        {"warmup_s", std::chrono::duration<double>(options.warmup).count()},
        {"offered_rate", report.offered_rate},
        {"achieved_rate", report.achieved_rate()},
        {"scheduled", report.scheduled},
        {"scheduled_rate", report.scheduled_rate()},
        {"sent", c.sent},
        {"completed", c.completed},
        {"errors", {{"connect", c.errors.connect}, {"read", c.errors.read}, {"write", c.errors.write},
                    {"timeout", c.errors.timeout}, {"status", c.errors.status}}},
        {"percentiles_us", percentiles_of(c.latency)},
        {"mean_us", c.latency.mean()},
        {"send_lateness_us", percentiles_of(c.lateness)},
        {"connect_us", percentiles_of(c.connect)},
        {"client_queue", {{"queued", c.queued}, {"longest_wait_us", c.longest_queue_wait_ns / 1000},
                          {"largest_backlog", c.largest_backlog}}},
        {"reconnects", c.reconnects},
        {"connect_failures", c.connect_failures},
        {"measured_sent", c.measured_sent},
        {"client_bound", verdict.bound},
        {"client_bound_reason", verdict.reason},
        {"generator_cpu_s", report.cpu_s},
        {"wall_s", report.wall_s},
        {"histogram", histogram_of(c.latency)},
        {"lateness_histogram", histogram_of(c.lateness)},
    };
}

std::string summary_text(const LoadReport& report) {
    const LoadOptions& options = *report.options;
    const LoadCounters& c = report.counters;
    const ClientVerdict verdict = judge(report);
    std::string text = fmt::format("prefork-load {} loop, {} connection{}, {} thread{}, {} measured after {} warm-up\n",
                                   options.closed ? "closed" : "open", options.connections, options.connections == 1 ? "" : "s",
                                   options.threads, options.threads == 1 ? "" : "s", format_duration(options.duration),
                                   format_duration(options.warmup));
    if (!options.closed) text += fmt::format("  offered   {:.0f} req/s ({} arrivals, seed {})\n", report.offered_rate,
                                             options.arrival == Arrival::poisson ? "Poisson" : "uniform", options.seed);
    text += fmt::format("  achieved  {:.0f} req/s, {} answered, {} errors (connect {}, read {}, write {}, timeout {}, status {})\n",
                        report.achieved_rate(), c.completed, c.errors.total(), c.errors.connect, c.errors.read,
                        c.errors.write, c.errors.timeout, c.errors.status);
    text += fmt::format("  latency   p50 {} ms, p90 {} ms, p99 {} ms, p99.9 {} ms, max {} ms{}\n",
                        ms(c.latency.value_at_percentile(50)), ms(c.latency.value_at_percentile(90)),
                        ms(c.latency.value_at_percentile(99)), ms(c.latency.value_at_percentile(99.9)),
                        ms(c.latency.max()), options.closed ? " (from each send)" : " (from each intended send)");
    if (!options.closed)
        text += fmt::format("  lateness  p50 {} µs, p99 {} µs; {} requests waited for a connection (longest {} ms, backlog {})\n",
                            c.lateness.value_at_percentile(50), c.lateness.value_at_percentile(99), c.queued,
                            ms(static_cast<std::uint64_t>(c.longest_queue_wait_ns / 1000)), c.largest_backlog);
    if (options.connect_per_request)
        text += fmt::format("  connect   p50 {} ms, p99 {} ms\n", ms(c.connect.value_at_percentile(50)), ms(c.connect.value_at_percentile(99)));
    text += fmt::format("  generator {:.2f} s CPU over {:.2f} s\n", report.cpu_s, report.wall_s);
    text += verdict.bound ? "  CLIENT-BOUND: " + verdict.reason + "\n" : "  the generator kept up\n";
    return text;
}

} // namespace pb::load
