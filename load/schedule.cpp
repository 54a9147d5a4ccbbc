#include "load/schedule.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <random>
#include <stdexcept>

#include "common/units.hpp"

namespace pb::load {
namespace {

// Vigna's splitmix64 finaliser: spreads a seed over all 64 bits, so that the
// streams of seed 1 and seed 2 are unrelated (mt19937_64's own seeding is
// only a linear recurrence).
std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    return x ^ (x >> 31);
}

void check_spec(const ScheduleSpec& spec) {
    if (!(spec.rate > 0) || !std::isfinite(spec.rate))
        throw std::invalid_argument(fmt::format("schedule: expected a rate above 0 requests per second, got {}", spec.rate));
    if (spec.duration.count() <= 0)
        throw std::invalid_argument(
            fmt::format("schedule: expected a duration above 0, got {}", format_duration(spec.duration)));
    for (auto first = spec.costs.begin(); first != spec.costs.end(); ++first)
        for (auto second = first + 1; second != spec.costs.end(); ++second)
            if (first->target == second->target)
                throw std::invalid_argument(fmt::format("--cost: expected at most one {}= cost, got \"{}\" and \"{}\"",
                                                        target_name(first->target), first->describe(),
                                                        second->describe()));
    double expected = spec.rate * static_cast<double>(spec.duration.count()) / 1e9;
    if (expected > static_cast<double>(max_planned_requests))
        throw std::invalid_argument(fmt::format(
            "schedule: expected at most {} requests, got {}/s for {} (about {:.0f})", max_planned_requests,
            spec.rate, format_duration(spec.duration), expected));
}

// Room for the count rate * duration and six standard deviations of it.
std::size_t expected_count(const ScheduleSpec& spec) {
    double mean = spec.rate * static_cast<double>(spec.duration.count()) / 1e9;
    double room = mean + 6 * std::sqrt(mean) + 16;
    return static_cast<std::size_t>(std::min(room, static_cast<double>(max_planned_requests)));
}

// The intended send times alone, from the arrivals engine.
std::vector<PlannedRequest> plan_arrivals(const ScheduleSpec& spec) {
    std::vector<PlannedRequest> plan;
    plan.reserve(expected_count(spec));
    const std::int64_t end = spec.duration.count();
    const double gap_ns = 1e9 / spec.rate;
    std::mt19937_64 engine(engine_seed(spec.seed, Stream::arrivals));
    double at = 0; // poisson: the running sum, kept unrounded so rounding does not accumulate
    for (std::size_t i = 0;; ++i) {
        if (spec.arrival == Arrival::uniform) at = static_cast<double>(i) * gap_ns; // no drift from summing
        else at += exponential(engine, gap_ns);
        if (at >= static_cast<double>(end)) break;
        std::int64_t send_at = static_cast<std::int64_t>(std::round(at));
        if (send_at >= end) break;
        if (plan.size() == max_planned_requests)
            throw std::invalid_argument(
                fmt::format("schedule: expected at most {} requests, got more (the arrivals drew over the limit)",
                            max_planned_requests));
        plan.push_back({send_at, 0, 0});
    }
    return plan;
}

void draw_costs(std::vector<PlannedRequest>& plan, const CostDistribution& cost, std::uint64_t seed) {
    bool work = cost.target == CostTarget::work;
    std::mt19937_64 engine(engine_seed(seed, work ? Stream::work : Stream::delay));
    for (PlannedRequest& request : plan) (work ? request.work_us : request.delay_us) = draw_cost_us(cost, engine);
}

char* append(char* out, std::string_view text) noexcept {
    std::memcpy(out, text.data(), text.size());
    return out + text.size();
}

} // namespace

std::optional<Arrival> parse_arrival(std::string_view text) {
    if (text == "poisson") return Arrival::poisson;
    if (text == "uniform") return Arrival::uniform;
    return std::nullopt;
}

std::string_view arrival_name(Arrival arrival) {
    return arrival == Arrival::poisson ? "poisson" : "uniform";
}

std::uint64_t engine_seed(std::uint64_t seed, Stream stream) {
    return splitmix64(splitmix64(seed) + static_cast<std::uint64_t>(stream));
}

std::uint64_t thread_engine_seed(std::uint64_t seed, Stream stream, std::size_t thread) {
    return splitmix64(engine_seed(seed, stream) + static_cast<std::uint64_t>(thread));
}

const CostDistribution* find_cost(const std::vector<CostDistribution>& costs, CostTarget target) {
    for (const CostDistribution& cost : costs)
        if (cost.target == target) return &cost;
    return nullptr;
}

std::vector<PlannedRequest> plan_schedule(const ScheduleSpec& spec) {
    check_spec(spec);
    std::vector<PlannedRequest> plan = plan_arrivals(spec);
    for (const CostDistribution& cost : spec.costs) draw_costs(plan, cost, spec.seed);
    return plan;
}

std::size_t format_target(const PlannedRequest& request, bool has_work, bool has_delay, char* out) noexcept {
    char* const end = out + max_target_length;
    char* at = out;
    *at++ = '/';
    if (!has_work && !has_delay) return 1;
    *at++ = '?';
    if (has_work) {
        at = append(at, "work=");
        at = std::to_chars(at, end, request.work_us).ptr;
    }
    if (has_delay) {
        at = append(at, has_work ? "&delay=" : "delay=");
        at = std::to_chars(at, end, request.delay_us).ptr;
    }
    return static_cast<std::size_t>(at - out);
}

} // namespace pb::load
