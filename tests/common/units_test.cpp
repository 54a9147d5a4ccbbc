#include "common/units.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "support/parse_table.hpp"

namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

const struct {
    std::string_view text;
    std::optional<nanoseconds> want;
} durations[] = {
    {"0", 0ns},
    {"10ns", 10ns},
    {"250us", 250us},
    {"5ms", 5ms},
    {"100ms", 100ms},
    {"1s", 1s},
    {"1.5s", 1500ms},
    {"0.25ms", 250us},
    {"15", 15s}, // bare number: seconds, as in wrk -d 15
    {"2m", 2min},
    {"1h", 1h},
    {"", std::nullopt},
    {"ms", std::nullopt},
    {"-1s", std::nullopt},
    {"1x", std::nullopt},
    {"1.2.3s", std::nullopt},
    {"100 ms", std::nullopt},
    {" 1s", std::nullopt},
    {"1s ", std::nullopt},
    {".s", std::nullopt},
};

TEST(ParseDuration, Table) {
    test_support::expect_parse_table(durations, pb::parse_duration, [](nanoseconds value) { return value.count(); });
}

TEST(FormatDuration, Table) {
    EXPECT_EQ(pb::format_duration(0ns), "0");
    EXPECT_EQ(pb::format_duration(1ns), "1ns");
    EXPECT_EQ(pb::format_duration(250us), "250us");
    EXPECT_EQ(pb::format_duration(100ms), "100ms");
    EXPECT_EQ(pb::format_duration(1500ms), "1500ms");
    EXPECT_EQ(pb::format_duration(1s), "1s");
    EXPECT_EQ(pb::format_duration(90s), "90s");
    EXPECT_EQ(pb::format_duration(2min), "2m");
    EXPECT_EQ(pb::format_duration(1h), "1h");
}

TEST(FormatDuration, ParsesBack) {
    const nanoseconds values[] = {0ns, 1ns, 999ns, 250us, 100ms, 1500ms, 1s, 61s, 2min, 3h};
    for (nanoseconds value : values) {
        const auto back = pb::parse_duration(pb::format_duration(value));
        ASSERT_TRUE(back.has_value()) << pb::format_duration(value);
        EXPECT_EQ(back->count(), value.count());
    }
}

const struct {
    std::string_view text;
    std::optional<std::uint64_t> want;
} sizes[] = {
    {"0", 0},
    {"4096", 4096},
    {"8k", 8192},
    {"1M", 1024 * 1024},
    {"2G", 2ull * 1024 * 1024 * 1024},
    {"", std::nullopt},
    {"k", std::nullopt},
    {"-1", std::nullopt},
    {"8x", std::nullopt},
};

TEST(ParseSize, Table) { test_support::expect_parse_table(sizes, pb::parse_size); }

} // namespace
