// --cost values: each form and prefix, refusals that name --cost and what was
// expected, the canonical text, and the draws' use of the engine.
#include "load/cost_distribution.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pb::load {
namespace {

using Kind = CostDistribution::Kind;

const struct {
    std::string_view text;
    std::string_view canonical; // describe()
    CostTarget target;
    Kind kind;
    double expected_us;
} accepted[] = {
    {"fixed:1ms", "work=fixed:1ms", CostTarget::work, Kind::fixed, 1000},
    {"fixed:0", "work=fixed:0", CostTarget::work, Kind::fixed, 0},
    {"fixed:0us", "work=fixed:0", CostTarget::work, Kind::fixed, 0},
    {"work=fixed:250us", "work=fixed:250us", CostTarget::work, Kind::fixed, 250},
    {"delay=fixed:2.5ms", "delay=fixed:2500us", CostTarget::delay, Kind::fixed, 2500},
    {"fixed:1500ns", "work=fixed:2us", CostTarget::work, Kind::fixed, 2},   // rounded to nearest
    {"fixed:1400ns", "work=fixed:1us", CostTarget::work, Kind::fixed, 1},
    {"fixed:500ns", "work=fixed:1us", CostTarget::work, Kind::fixed, 1},
    {"fixed:1h", "work=fixed:1h", CostTarget::work, Kind::fixed, 3.6e9},
    {"exp:1ms", "work=exp:1ms", CostTarget::work, Kind::exponential, 1000},
    {"delay=exp:500us", "delay=exp:500us", CostTarget::delay, Kind::exponential, 500},
    {"exp:1", "work=exp:1s", CostTarget::work, Kind::exponential, 1e6}, // a bare number is seconds
    {"bimodal:0.9:0.5ms:5.5ms", "work=bimodal:0.9:500us:5500us", CostTarget::work, Kind::bimodal, 1000},
    {"delay=bimodal:0.25:1ms:2ms", "delay=bimodal:0.25:1ms:2ms", CostTarget::delay, Kind::bimodal, 1750},
    {"lognormal:1ms:1.0", "work=lognormal:1ms:1", CostTarget::work, Kind::lognormal, 1000},
    {"delay=lognormal:2ms:0.5", "delay=lognormal:2ms:0.5", CostTarget::delay, Kind::lognormal, 2000},
    {"lognormal:1ms:0", "work=lognormal:1ms:0", CostTarget::work, Kind::lognormal, 1000},
};

TEST(ParseCost, AcceptsEachFormAndPrefix) {
    for (const auto& row : accepted) {
        SCOPED_TRACE(row.text);
        CostDistribution cost = parse_cost(row.text);
        EXPECT_EQ(cost.describe(), row.canonical);
        EXPECT_EQ(cost.target, row.target);
        EXPECT_EQ(cost.kind, row.kind);
        EXPECT_DOUBLE_EQ(cost.expected_us(), row.expected_us);
    }
}

TEST(ParseCost, CanonicalTextParsesBackToItself) {
    for (const auto& row : accepted) {
        SCOPED_TRACE(row.text);
        EXPECT_EQ(parse_cost(row.canonical).describe(), row.canonical);
    }
}

TEST(ParseCost, KeepsTheFieldsOfEachForm) {
    CostDistribution bimodal = parse_cost("delay=bimodal:0.9:0.5ms:5.5ms");
    EXPECT_DOUBLE_EQ(bimodal.p, 0.9);
    EXPECT_DOUBLE_EQ(bimodal.first_us, 500);
    EXPECT_DOUBLE_EQ(bimodal.second_us, 5500);
    CostDistribution lognormal = parse_cost("lognormal:3ms:0.75");
    EXPECT_DOUBLE_EQ(lognormal.mean_us, 3000);
    EXPECT_DOUBLE_EQ(lognormal.sigma, 0.75);
    EXPECT_DOUBLE_EQ(parse_cost("exp:42us").mean_us, 42);
}

constexpr std::string_view any_form = "[work=|delay=]fixed:D, exp:D, bimodal:P:D1:D2 or lognormal:D:SIGMA";
constexpr std::string_view fixed_d = "fixed:D with D 0 or a duration of 1us to 1h";
constexpr std::string_view exp_d = "exp:D with D a duration of 1us to 1h";
constexpr std::string_view bimodal_p = "bimodal:P:D1:D2 with P, the probability of D1, between 0 and 1 (exclusive)";
constexpr std::string_view bimodal_d1 = "bimodal:P:D1:D2 with D1 a duration of 1us to 1h";
constexpr std::string_view bimodal_d2 = "bimodal:P:D1:D2 with D2 a duration of 1us to 1h";
constexpr std::string_view lognormal_d = "lognormal:D:SIGMA with D a duration of 1us to 1h";
constexpr std::string_view lognormal_sigma = "lognormal:D:SIGMA with SIGMA";

const struct {
    std::string_view label;
    std::string_view text;
    std::string_view expected; // what the message must say was expected
} refused[] = {
    {"empty", "", any_form},
    {"no value", "exp:", any_form},
    {"no colon", "exp", any_form},
    {"prefix only", "work=", any_form},
    {"too many fields", "exp:1ms:2", any_form},
    {"unknown kind", "normal:1ms", any_form},
    {"kind in capitals", "Exp:1ms", any_form},
    {"unknown prefix", "cpu=exp:1ms", any_form},
    {"prefix with colon", "work:exp:1ms", any_form},
    {"two prefixes", "work=delay=exp:1ms", any_form},
    {"leading space", " exp:1ms", any_form},
    {"bimodal missing D2", "bimodal:0.9:1ms", any_form},
    {"bimodal extra field", "bimodal:0.9:1ms:2ms:3ms", any_form},
    {"bimodal empty D1", "bimodal:0.9::2ms", any_form},
    {"lognormal missing sigma", "lognormal:1ms", any_form},
    {"fixed negative", "fixed:-1ms", fixed_d},
    {"fixed junk unit", "fixed:1xs", fixed_d},
    {"fixed rounds to 0", "fixed:100ns", fixed_d},
    {"fixed over 1h", "fixed:61m", fixed_d},
    {"fixed trailing space", "fixed:1ms ", fixed_d},
    {"exp zero", "exp:0", exp_d},
    {"exp zero ms", "exp:0ms", exp_d},
    {"exp negative", "exp:-1ms", exp_d},
    {"exp rounds to 0", "exp:400ns", exp_d},
    {"bimodal p 0", "bimodal:0:1ms:2ms", bimodal_p},
    {"bimodal p 1", "bimodal:1:1ms:2ms", bimodal_p},
    {"bimodal p above 1", "bimodal:1.5:1ms:2ms", bimodal_p},
    {"bimodal p negative", "bimodal:-0.1:1ms:2ms", bimodal_p},
    {"bimodal p nan", "bimodal:nan:1ms:2ms", bimodal_p},
    {"bimodal p junk", "bimodal:0.9x:1ms:2ms", bimodal_p},
    {"bimodal p percent", "bimodal:90%:1ms:2ms", bimodal_p},
    {"bimodal D1 zero", "bimodal:0.5:0:2ms", bimodal_d1},
    {"bimodal D1 negative", "bimodal:0.5:-1ms:2ms", bimodal_d1},
    {"bimodal D2 zero", "bimodal:0.5:1ms:0us", bimodal_d2},
    {"bimodal D2 junk", "bimodal:0.5:1ms:fast", bimodal_d2},
    {"lognormal mean zero", "lognormal:0:1", lognormal_d},
    {"lognormal sigma negative", "lognormal:1ms:-1", lognormal_sigma},
    {"lognormal sigma infinite", "lognormal:1ms:inf", lognormal_sigma},
    {"lognormal sigma junk", "lognormal:1ms:wide", lognormal_sigma},
};

TEST(ParseCost, RefusesNamingCostAndWhatWasExpected) {
    for (const auto& row : refused) {
        SCOPED_TRACE(row.label);
        try {
            parse_cost(row.text);
            ADD_FAILURE() << "accepted \"" << row.text << '"';
        } catch (const std::invalid_argument& error) {
            const std::string message = error.what();
            EXPECT_TRUE(message.starts_with("--cost: expected ")) << message;
            EXPECT_NE(message.find(row.expected), std::string::npos) << message;
            EXPECT_TRUE(message.ends_with("got \"" + std::string(row.text) + '"')) << message;
            EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        }
    }
}

TEST(ParseCost, MessageForAMissingValueListsEveryForm) {
    try {
        parse_cost("exp:");
        FAIL() << "accepted \"exp:\"";
    } catch (const std::invalid_argument& error) {
        EXPECT_STREQ(error.what(), "--cost: expected [work=|delay=]fixed:D, exp:D, bimodal:P:D1:D2 or "
                                   "lognormal:D:SIGMA, got \"exp:\"");
    }
}

TEST(DrawCost, FixedIsTheValueAndUsesNoDraw) {
    std::mt19937_64 engine(7), untouched(7);
    EXPECT_EQ(draw_cost_us(parse_cost("fixed:250us"), engine), 250u);
    EXPECT_EQ(draw_cost_us(parse_cost("fixed:0"), engine), 0u);
    EXPECT_EQ(engine, untouched);
}

TEST(DrawCost, ExpAndBimodalUseOneDrawLognormalTwo) {
    const std::pair<std::string_view, int> cases[] = {
        {"exp:1ms", 1}, {"bimodal:0.5:1ms:2ms", 1}, {"lognormal:1ms:1", 2}};
    for (const auto& [text, draws] : cases) {
        SCOPED_TRACE(text);
        std::mt19937_64 engine(7), expected(7);
        draw_cost_us(parse_cost(text), engine);
        expected.discard(static_cast<unsigned long long>(draws));
        EXPECT_EQ(engine, expected);
    }
}

TEST(DrawCost, RoundsToNearestAndCapsAt32Bits) {
    std::mt19937_64 engine(1);
    CostDistribution cost;
    cost.mean_us = 2.5;
    EXPECT_EQ(draw_cost_us(cost, engine), 3u);
    cost.mean_us = 2.49;
    EXPECT_EQ(draw_cost_us(cost, engine), 2u);
    cost.mean_us = 1e12;
    EXPECT_EQ(draw_cost_us(cost, engine), UINT32_MAX);
    cost.mean_us = -5;
    EXPECT_EQ(draw_cost_us(cost, engine), 0u);
}

TEST(DrawCost, BimodalGivesOnlyItsTwoValues) {
    std::mt19937_64 engine(3);
    CostDistribution cost = parse_cost("bimodal:0.5:100us:900us");
    int first = 0, second = 0;
    for (int i = 0; i < 1000; ++i) {
        std::uint32_t us = draw_cost_us(cost, engine);
        ASSERT_TRUE(us == 100 || us == 900) << us;
        (us == 100 ? first : second) += 1;
    }
    EXPECT_GT(first, 400);
    EXPECT_GT(second, 400);
}

TEST(UniformDraw, IsTheTop53BitsOfOneOutput) {
    std::mt19937_64 engine(11), raw(11);
    for (int i = 0; i < 1000; ++i) {
        double u = uniform_01(engine);
        ASSERT_EQ(u, static_cast<double>(raw() >> 11) / 9007199254740992.0);
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
    }
}

TEST(TargetName, IsTheUrlParameter) {
    EXPECT_EQ(target_name(CostTarget::work), "work");
    EXPECT_EQ(target_name(CostTarget::delay), "delay");
}

} // namespace
} // namespace pb::load
