// parse_request_cost, one row per case. The target sits right before a
// PROT_NONE page, so reading one byte past its end crashes the test instead
// of passing by luck.
#include "http/request_cost.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string_view>

#include "guarded_buffer.hpp"
#include "http/handler.hpp"
#include "support/case_name.hpp"

namespace {

using namespace std::chrono_literals;
using pb::RequestCost;

// What the server was started with: each row checks which part the query replaced.
constexpr RequestCost defaults{.work = 3ms, .delay = 100ms};

struct Case {
    const char* label;
    std::string_view target;
    std::optional<RequestCost> want; // nothing: refused (400)
    std::chrono::nanoseconds max_cost;
};

Case ok(const char* label, std::string_view target, RequestCost want, std::chrono::nanoseconds max_cost = 1s) {
    return {label, target, want, max_cost};
}

Case refused(const char* label, std::string_view target, std::chrono::nanoseconds max_cost = 1s) {
    return {label, target, std::nullopt, max_cost};
}

constexpr std::chrono::nanoseconds largest = std::chrono::nanoseconds::max();

constexpr RequestCost cost(std::chrono::nanoseconds work, std::chrono::nanoseconds delay) { return {work, delay}; }

const Case cases[] = {
    ok("no query", "/", defaults),
    ok("empty query", "/?", defaults),
    ok("work only", "/?work=1000", cost(1000us, defaults.delay)),
    ok("delay only", "/?delay=250", cost(defaults.work, 250us)),
    ok("both", "/?work=1000&delay=250", cost(1000us, 250us)),
    ok("both the other way round", "/?delay=250&work=1000", cost(1000us, 250us)),
    ok("zero of both", "/?work=0&delay=0", cost(0us, 0us)),
    ok("other parameters are ignored", "/?a=1&work=5&b=x&delay=6&c", cost(5us, 6us)),
    ok("names that only begin like ours", "/?workload=x&delay_ms=abc&Work=abc", defaults),
    ok("malformed other parameters are ignored", "/?x=-1&=&y==", defaults),
    ok("empty parameters", "/?&&work=5&", cost(5us, defaults.delay)),
    ok("another path", "/some/path?delay=7", cost(defaults.work, 7us)),
    ok("leading zeros", "/?delay=000250", cost(defaults.work, 250us)),
    ok("a repeated parameter counts as given last", "/?delay=1&delay=2", cost(defaults.work, 2us)),
    ok("delay exactly the maximum", "/?delay=1000000", cost(defaults.work, 1s)),
    ok("work exactly the maximum", "/?work=1000000", cost(1s, defaults.delay)),
    ok("a maximum of zero allows zero", "/?delay=0", cost(defaults.work, 0us), 0ns),
    ok("a maximum that is not whole microseconds", "/?delay=1", cost(defaults.work, 1us), 1500ns),
    ok("the largest maximum", "/?delay=9223372036854775", cost(defaults.work, 9223372036854775us), largest),

    refused("empty value", "/?work="),
    refused("no value", "/?delay"),
    refused("minus sign", "/?delay=-1"),
    refused("plus sign", "/?delay=+1"),
    refused("letters", "/?work=abc"),
    refused("digits then junk", "/?work=12x"),
    refused("a unit", "/?delay=5ms"),
    refused("a fraction", "/?delay=1.5"),
    refused("percent-encoded digits", "/?delay=%31"),
    refused("space as plus", "/?delay=1+2"),
    refused("a malformed cost after a good one", "/?work=5&delay=x"),
    refused("a malformed cost repeated after a good one", "/?delay=5&delay="),
    refused("delay above the maximum", "/?delay=1000001"),
    refused("work above the maximum", "/?work=1000001"),
    refused("above a maximum of zero", "/?delay=1", 0ns),
    refused("above a maximum that is not whole microseconds", "/?delay=2", 1500ns),
    refused("overflows 64 bits", "/?work=99999999999999999999999999", 10s),
    refused("wraps 64 bits to a small number", "/?delay=18446744073709551617", 10s),
    refused("above the largest maximum", "/?delay=9223372036854776", largest),
    refused("overflows 64 bits under the largest maximum", "/?work=99999999999999999999999999", largest),
};

class RequestCostTable : public testing::TestWithParam<Case> {};

TEST_P(RequestCostTable, ParsesOrRefuses) {
    const Case& c = GetParam();
    GuardedBuffer memory(c.target.size());
    RequestCost got = defaults;
    const bool parsed = pb::parse_request_cost(memory.place(c.target), c.max_cost, got);
    ASSERT_EQ(parsed, c.want.has_value()) << c.target;
    if (c.want) {
        EXPECT_EQ(got.work, c.want->work) << "work";
        EXPECT_EQ(got.delay, c.want->delay) << "delay";
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, RequestCostTable, testing::ValuesIn(cases), test_support::ByLabel{});

// The --max-cost default (10 s) is exactly 10,000,000 microseconds.
TEST(RequestCost, TheDefaultMaximumIsTenSeconds) {
    RequestCost got = defaults;
    EXPECT_TRUE(pb::parse_request_cost("/?delay=10000000", pb::HandlerConfig{}.max_cost, got));
    EXPECT_EQ(got.delay, 10s);
    EXPECT_FALSE(pb::parse_request_cost("/?delay=10000001", pb::HandlerConfig{}.max_cost, got));
}

} // namespace
