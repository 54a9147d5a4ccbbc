#pragma once
// The open-loop send schedule, planned whole before the run starts: when
// each request is meant to go out and what it costs. The same spec (seed
// included) gives the same schedule, so every server measured gets exactly
// the same sequence of requests (common random numbers).
//
// Three engines, each a std::mt19937_64, are seeded from the one seed: the
// arrivals, the work costs and the delay costs (see engine_seed). Changing
// --cost therefore leaves the arrival times alone, and changing the work cost
// leaves the delay costs alone. Request i gets the i-th draw of each engine,
// so a longer schedule begins with the shorter one. A fourth stream, the
// idle connection each request takes, is the load threads' (load_worker.hpp):
// it is drawn as the run goes, not planned.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "load/cost_distribution.hpp"

namespace pb::load {

enum class Arrival { poisson, uniform };

// "poisson" or "uniform".
std::optional<Arrival> parse_arrival(std::string_view text);
std::string_view arrival_name(Arrival arrival);

struct ScheduleSpec {
    double rate = 0;                          // requests per second, > 0
    std::chrono::nanoseconds duration{0};     // the whole schedule (warm-up included), > 0
    Arrival arrival = Arrival::poisson;
    std::vector<CostDistribution> costs;      // at most one per target
    std::uint64_t seed = 1;
};

struct PlannedRequest {
    std::int64_t send_at_ns;    // intended send time from the start
    std::uint32_t work_us;      // 0 when no work cost (the URL then has no work=)
    std::uint32_t delay_us;     // 0 when no delay cost
    bool operator==(const PlannedRequest&) const = default;
};

inline constexpr std::size_t max_planned_requests = 100'000'000;

// connections: each load thread's draw of the idle connection a request
// takes (load_worker.hpp), seeded per thread by thread_engine_seed.
enum class Stream : std::uint64_t { arrivals = 0, work = 1, delay = 2, connections = 3 };

// The seed of one stream's engine: splitmix64(splitmix64(seed) + stream),
// so that neighbouring seeds share no stream.
std::uint64_t engine_seed(std::uint64_t seed, Stream stream);
// The seed of thread `thread`'s engine of a per-thread stream:
// splitmix64(engine_seed(seed, stream) + thread), so that no two threads of a
// run, and no thread and another stream, share an engine.
std::uint64_t thread_engine_seed(std::uint64_t seed, Stream stream, std::size_t thread);

// The cost of `target` in `costs`, or nullptr.
const CostDistribution* find_cost(const std::vector<CostDistribution>& costs, CostTarget target);

// Every request whose intended time falls in [0, duration), in time order:
// poisson has exponential gaps of mean 1/rate and the first request at the
// first gap; uniform has them exactly 1/rate apart from 0. Throws
// std::invalid_argument for a bad spec (rate <= 0, duration <= 0, two costs
// on one target, more than max_planned_requests requests).
std::vector<PlannedRequest> plan_schedule(const ScheduleSpec& spec);

// Writes the request target for one planned request into `out` without allocating:
// "/" when it has no cost, else "/?work=123", "/?delay=45" or "/?work=123&delay=45".
// Returns the length written; `out` must hold at least 40 chars.
inline constexpr std::size_t max_target_length = 40;
std::size_t format_target(const PlannedRequest& request, bool has_work, bool has_delay, char* out) noexcept;

} // namespace pb::load
