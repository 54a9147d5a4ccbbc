#include "measure/wrk_report.hpp"

#include <cmath>
#include <filesystem>
#include <gtest/gtest.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace pb::harness {
namespace {

const std::filesystem::path fixtures = HARNESS_FIXTURES;

// The message of the error parse_wrk_report throws, or "" when it does not.
std::string parse_error(const std::filesystem::path& file) {
    try {
        parse_wrk_report(file);
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return {};
}

// wrk_report_ok.json is a real report: wrk -t 2 -c 16 -d 2 against
// prefork-epoll --delay 1ms.
TEST(WrkReportTest, ReadsARealReportInMillisecondsAndSeconds) {
    const WrkReport report = parse_wrk_report(fixtures / "wrk_report_ok.json");
    EXPECT_DOUBLE_EQ(report.duration_s, 2.006855);
    EXPECT_EQ(report.requests, 24384u);
    EXPECT_EQ(report.bytes, 3364992u);
    EXPECT_EQ(report.errors.total(), 0u);
    EXPECT_DOUBLE_EQ(report.latency_min_ms, 1.046);
    EXPECT_DOUBLE_EQ(report.latency_max_ms, 11.325);
    EXPECT_NEAR(report.latency_mean_ms, 1.3607, 1e-4);
    EXPECT_NEAR(report.latency_stdev_ms, 0.7031, 1e-4);
    EXPECT_NEAR(report.requests_per_second(), 24384 / 2.006855, 1e-6);
}

TEST(WrkReportTest, HasEveryPercentileInAscendingOrder) {
    const WrkReport report = parse_wrk_report(fixtures / "wrk_report_ok.json");
    ASSERT_EQ(report.percentiles.size(), 103u); // 1..99, 99.9, 99.99, 99.999, 100
    EXPECT_DOUBLE_EQ(report.percentiles.front().percentile, 1);
    EXPECT_DOUBLE_EQ(report.percentiles[98].percentile, 99);
    EXPECT_DOUBLE_EQ(report.percentiles.back().percentile, 100);
    for (std::size_t i = 1; i < report.percentiles.size(); ++i) {
        EXPECT_LT(report.percentiles[i - 1].percentile, report.percentiles[i].percentile);
        EXPECT_LE(report.percentiles[i - 1].latency_ms, report.percentiles[i].latency_ms);
    }
    // wrk's percentile(100) is 0; report.lua writes the maximum instead.
    EXPECT_DOUBLE_EQ(report.percentiles.back().latency_ms, report.latency_max_ms);
}

TEST(WrkReportTest, LatencyAtFindsListedPercentilesOnly) {
    const WrkReport report = parse_wrk_report(fixtures / "wrk_report_ok.json");
    EXPECT_DOUBLE_EQ(report.latency_at(1), 1.078);
    EXPECT_DOUBLE_EQ(report.latency_at(99.9), 7.971);
    EXPECT_DOUBLE_EQ(report.latency_at(99.99), 11.309);
    EXPECT_DOUBLE_EQ(report.latency_at(100), 11.325);
    EXPECT_TRUE(std::isnan(report.latency_at(99.5)));
    EXPECT_TRUE(std::isnan(WrkReport{}.latency_at(50)));
}

// A run in which no response came back: wrk's empty stats must not leak
// 2^64 - 1 as the minimum.
TEST(WrkReportTest, ReadsAReportWithoutRequests) {
    const WrkReport report = parse_wrk_report(fixtures / "wrk_report_no_requests.json");
    EXPECT_EQ(report.requests, 0u);
    EXPECT_GT(report.duration_s, 0);
    EXPECT_DOUBLE_EQ(report.latency_min_ms, 0);
    EXPECT_DOUBLE_EQ(report.requests_per_second(), 0);
    EXPECT_EQ(report.percentiles.size(), 103u);
}

// Each bad report's error names the file and says what is wrong with it.
TEST(WrkReportTest, ErrorsNameTheFileAndTheProblem) {
    const struct {
        const char* file;
        std::vector<const char*> says;
    } rows[] = {
        {"wrk_report_missing_key.json", {"errors.timeout", "missing"}},
        {"wrk_report_bad_value.json", {"'requests'", "\"many\""}},
        {"wrk_report_not_json.json", {"not valid JSON"}},
        {"no_such_report.json", {"cannot open"}},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.file);
        const std::string message = parse_error(fixtures / row.file);
        EXPECT_NE(message.find(row.file), std::string::npos) << message;
        for (const char* part : row.says) EXPECT_NE(message.find(part), std::string::npos) << message;
    }
}

} // namespace
} // namespace pb::harness
