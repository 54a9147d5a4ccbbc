#include "http/date_cache.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <regex>
#include <string>
#include <string_view>

namespace {

std::string formatted(std::time_t when) {
    char out[pb::http_date_size];
    pb::format_http_date(when, out);
    return std::string(out, sizeof out);
}

// The time an IMF-fixdate names, or -1 if it is not one.
std::time_t parse_imf_fixdate(std::string_view text) {
    static const std::regex shape(
        R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT)");
    const std::string copy(text);
    if (!std::regex_match(copy, shape)) return -1;
    std::tm tm{};
    const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') return -1;
    return timegm(&tm);
}

TEST(FormatHttpDate, Rfc7231Example) {
    EXPECT_EQ(formatted(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(FormatHttpDate, Table) {
    EXPECT_EQ(formatted(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(formatted(951868799), "Tue, 29 Feb 2000 23:59:59 GMT");
    EXPECT_EQ(formatted(2147483648), "Tue, 19 Jan 2038 03:14:08 GMT"); // past 32-bit time_t
}

TEST(DateCache, NowIsTheCurrentTimeAsImfFixdate) {
    pb::DateCache cache;
    const std::time_t before = std::time(nullptr);
    const std::string now(cache.now());
    const std::time_t after = std::time(nullptr);
    ASSERT_EQ(now.size(), pb::http_date_size);
    const std::time_t named = parse_imf_fixdate(now);
    ASSERT_NE(named, -1) << now;
    // One second of slack either way: the cache may read a coarser clock.
    EXPECT_GE(named, before - 1);
    EXPECT_LE(named, after + 1);
    EXPECT_EQ(now, formatted(named));
    // now() fills the cache that at() reads: the same second costs nothing.
    EXPECT_EQ(cache.at(named), now);
    EXPECT_EQ(cache.formats(), 1u);
}

TEST(DateCache, FormatsAtMostOncePerSecond) {
    pb::DateCache cache;
    EXPECT_EQ(cache.formats(), 0u);
    const std::time_t first = std::time(nullptr);
    std::string_view previous = cache.now();
    EXPECT_EQ(cache.formats(), 1u);
    for (int i = 0; i < 100000; ++i) {
        const std::string_view now = cache.now();
        ASSERT_GE(parse_imf_fixdate(now), parse_imf_fixdate(previous)) << "time went back";
        previous = now;
    }
    const std::time_t last = std::time(nullptr);
    // Each second seen may cost one format; +2 for a clock that differs
    // from time() at either end.
    EXPECT_LE(cache.formats(), static_cast<std::size_t>(last - first) + 2);
}

// The clock the test drives: each step asks for a second and expects the
// text of that second and the total number of formats so far.
TEST(DateCache, ReformatsExactlyWhenTheSecondChanges) {
    constexpr std::time_t t = 784111777; // "Sun, 06 Nov 1994 08:49:37 GMT"
    struct Step {
        std::time_t second;
        std::size_t formats;
    };
    const Step steps[] = {
        {t, 1},         // the first date is formatted
        {t, 1},         // the same second: the cached text
        {t, 1},
        {t + 1, 2},     // the next second: once
        {t + 1, 2},
        {t + 3, 3},     // a skipped second costs nothing
        {t + 2, 4},     // a clock stepped back is a change too
        {t + 2, 4},
        {t + 86400, 5}, // the next day
    };
    pb::DateCache cache;
    for (const Step& step : steps) {
        const std::string_view date = cache.at(step.second);
        EXPECT_EQ(date, formatted(step.second)) << "at " << step.second;
        EXPECT_EQ(cache.formats(), step.formats) << "at " << step.second;
    }
}

} // namespace
