#include "load/cost_distribution.hpp"

#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <vector>

#include "common/numbers.hpp"
#include "common/units.hpp"

namespace pb::load {
namespace {

constexpr std::string_view any_form = "[work=|delay=]fixed:D, exp:D, bimodal:P:D1:D2 or lognormal:D:SIGMA";

[[noreturn]] void refuse(std::string_view expected, std::string_view text) {
    throw std::invalid_argument(fmt::format("--cost: expected {}, got \"{}\"", expected, text));
}

std::vector<std::string_view> split_fields(std::string_view text) {
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
        std::size_t colon = text.find(':', start);
        fields.push_back(text.substr(start, colon == std::string_view::npos ? colon : colon - start));
        if (colon == std::string_view::npos) return fields;
        start = colon + 1;
    }
}

// One of the fields of a --cost value, read for the distribution `form`
// ("exp:D"); every refusal repeats the form and the whole text.
class FieldReader {
public:
    FieldReader(std::string_view form, std::string_view text) : form_(form), text_(text) {}

    // Whole microseconds, at least 1 (0 too when allowed), at most max_cost_us.
    double duration_us(std::string_view field, std::string_view name, bool zero_allowed) const {
        std::optional<std::chrono::nanoseconds> value = parse_duration(field);
        std::int64_t ns = value ? value->count() : -1;
        std::int64_t us = (ns + 500) / 1000;
        bool rounds_to_zero = ns > 0 && us == 0;
        if (!value || rounds_to_zero || (us == 0 && !zero_allowed) || static_cast<double>(us) > max_cost_us) {
            std::string_view range = zero_allowed ? "0 or a duration of 1us to 1h" : "a duration of 1us to 1h";
            refuse(fmt::format("{} with {} {} (e.g. 500us, 2.5ms)", form_, name, range), text_);
        }
        return static_cast<double>(us);
    }

    double probability(std::string_view field) const {
        std::optional<double> value = parse_number<double>(field);
        if (!value || !(*value > 0 && *value < 1))
            refuse(fmt::format("{} with P, the probability of D1, between 0 and 1 (exclusive)", form_), text_);
        return *value;
    }

    double sigma(std::string_view field) const {
        std::optional<double> value = parse_number<double>(field);
        if (!value || !std::isfinite(*value) || *value < 0)
            refuse(fmt::format("{} with SIGMA, the standard deviation of ln(cost), a number of 0 or more", form_),
                   text_);
        return *value;
    }

private:
    std::string_view form_;
    std::string_view text_;
};

// Durations print back through format_duration, so describe() parses again.
std::string format_us(double us) {
    return format_duration(std::chrono::nanoseconds(static_cast<std::int64_t>(std::round(us)) * 1000));
}

} // namespace

std::string_view target_name(CostTarget target) {
    return target == CostTarget::work ? "work" : "delay";
}

double CostDistribution::expected_us() const {
    if (kind == Kind::bimodal) return p * first_us + (1 - p) * second_us;
    return mean_us;
}

std::string CostDistribution::describe() const {
    std::string_view prefix = target_name(target);
    switch (kind) {
    case Kind::fixed: return fmt::format("{}=fixed:{}", prefix, format_us(mean_us));
    case Kind::exponential: return fmt::format("{}=exp:{}", prefix, format_us(mean_us));
    case Kind::bimodal:
        return fmt::format("{}=bimodal:{}:{}:{}", prefix, p, format_us(first_us), format_us(second_us));
    case Kind::lognormal: return fmt::format("{}=lognormal:{}:{}", prefix, format_us(mean_us), sigma);
    }
    return std::string(prefix);
}

CostDistribution parse_cost(std::string_view text) {
    CostDistribution cost;
    std::string_view rest = text;
    if (rest.starts_with("work=")) {
        rest.remove_prefix(5);
    } else if (rest.starts_with("delay=")) {
        cost.target = CostTarget::delay;
        rest.remove_prefix(6);
    }
    std::vector<std::string_view> fields = split_fields(rest);
    for (std::string_view field : fields)
        if (field.empty()) refuse(any_form, text);
    std::string_view kind = fields[0];
    auto expect_fields = [&](std::size_t count) {
        if (fields.size() != count) refuse(any_form, text);
    };
    if (kind == "fixed") {
        expect_fields(2);
        cost.kind = CostDistribution::Kind::fixed;
        cost.mean_us = FieldReader("fixed:D", text).duration_us(fields[1], "D", true);
    } else if (kind == "exp") {
        expect_fields(2);
        cost.kind = CostDistribution::Kind::exponential;
        cost.mean_us = FieldReader("exp:D", text).duration_us(fields[1], "D", false);
    } else if (kind == "bimodal") {
        expect_fields(4);
        FieldReader reader("bimodal:P:D1:D2", text);
        cost.kind = CostDistribution::Kind::bimodal;
        cost.p = reader.probability(fields[1]);
        cost.first_us = reader.duration_us(fields[2], "D1", false);
        cost.second_us = reader.duration_us(fields[3], "D2", false);
    } else if (kind == "lognormal") {
        expect_fields(3);
        FieldReader reader("lognormal:D:SIGMA", text);
        cost.kind = CostDistribution::Kind::lognormal;
        cost.mean_us = reader.duration_us(fields[1], "D", false);
        cost.sigma = reader.sigma(fields[2]);
    } else {
        refuse(any_form, text);
    }
    return cost;
}

double uniform_01(std::mt19937_64& engine) {
    return static_cast<double>(engine() >> 11) * 0x1.0p-53;
}

double exponential(std::mt19937_64& engine, double mean) {
    return -mean * std::log(1.0 - uniform_01(engine)); // 1 - u is in (0, 1], exactly
}

double standard_normal(std::mt19937_64& engine) {
    double radius = std::sqrt(-2.0 * std::log(1.0 - uniform_01(engine)));
    return radius * std::cos(2.0 * std::numbers::pi * uniform_01(engine));
}

std::uint32_t draw_cost_us(const CostDistribution& cost, std::mt19937_64& engine) {
    double us = 0;
    switch (cost.kind) {
    case CostDistribution::Kind::fixed: us = cost.mean_us; break;
    case CostDistribution::Kind::exponential: us = exponential(engine, cost.mean_us); break;
    case CostDistribution::Kind::bimodal: us = uniform_01(engine) < cost.p ? cost.first_us : cost.second_us; break;
    case CostDistribution::Kind::lognormal:
        // ln(cost) ~ N(mu, sigma^2) with mu = ln(mean) - sigma^2/2, so that
        // the mean, not the median, is the given value.
        us = cost.mean_us * std::exp(cost.sigma * standard_normal(engine) - 0.5 * cost.sigma * cost.sigma);
        break;
    }
    constexpr double most = 4'294'967'295.0;
    if (!(us > 0)) return 0;
    if (us >= most) return UINT32_MAX;
    return static_cast<std::uint32_t>(std::round(us));
}

} // namespace pb::load
