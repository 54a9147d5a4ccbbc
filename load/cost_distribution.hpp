#pragma once
// The cost a request carries in its URL (`work=` CPU spin, `delay=` wait),
// drawn per request from one --cost distribution. The draws are our own
// transforms of std::mt19937_64, whose sequence the standard specifies, so
// that a seed gives the same costs with any standard library (the
// std::*_distribution classes are free to differ between implementations).
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace pb::load {

enum class CostTarget { work, delay };

// "work" or "delay", as in the URL and the --cost prefix.
std::string_view target_name(CostTarget target);

struct CostDistribution {               // one --cost
    CostTarget target = CostTarget::work;
    enum class Kind { fixed, exponential, bimodal, lognormal } kind = Kind::fixed;
    double mean_us = 0;                 // fixed value, exp mean, lognormal mean
    double p = 1, first_us = 0, second_us = 0; // bimodal
    double sigma = 0;                   // lognormal
    double expected_us() const;         // the distribution's mean (bimodal: p*first + (1-p)*second)
    std::string describe() const;       // canonical text, e.g. "work=exp:1ms"
};

// The largest value a parameter may have (the URL carries 32-bit microseconds).
inline constexpr double max_cost_us = 3'600'000'000.0; // 1h

// Parses one --cost value, [work=|delay=]DIST; without a prefix it sets work.
// Durations are read by pb::parse_duration and kept as whole microseconds
// (rounded to nearest; one that rounds to 0 is refused unless it is exactly
// 0 in fixed:0). Throws std::invalid_argument whose what() is one line naming
// what was expected, e.g. "--cost: expected [work=|delay=]fixed:D, exp:D,
// bimodal:P:D1:D2 or lognormal:D:SIGMA, got \"exp:\"".
CostDistribution parse_cost(std::string_view text);

// Uniform in [0, 1) from the top 53 bits of one engine output.
double uniform_01(std::mt19937_64& engine);

// Exponential with the given mean by the inverse CDF; one engine output.
double exponential(std::mt19937_64& engine, double mean);

// Standard normal by Box-Muller (the cosine half only); two engine outputs.
double standard_normal(std::mt19937_64& engine);

// One request's cost in whole microseconds, rounded to nearest and capped at
// UINT32_MAX. Uses 0 (fixed), 1 (exp, bimodal) or 2 (lognormal) engine outputs.
std::uint32_t draw_cost_us(const CostDistribution& cost, std::mt19937_64& engine);

} // namespace pb::load
