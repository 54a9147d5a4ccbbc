// Merging the reports of several prefork-load processes: counts add, and
// the merged percentiles are those of one histogram that saw every value.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "load/latency_histogram.hpp"
#include "measure/load_report_merge.hpp"

namespace pb::harness {
namespace {

using nlohmann::json;
using pb::load::LatencyHistogram;

json histogram_json(const LatencyHistogram& h) {
    json buckets = json::array();
    for (const auto& b : h.buckets()) buckets.push_back({b.value_us, b.count});
    return {{"count", h.count()}, {"min_us", h.min()}, {"max_us", h.max()}, {"saturated", h.saturated()}, {"buckets", buckets}};
}

json percentiles(const LatencyHistogram& h) {
    return {{"50", h.value_at_percentile(50)},     {"90", h.value_at_percentile(90)},
            {"99", h.value_at_percentile(99)},     {"99.9", h.value_at_percentile(99.9)},
            {"99.99", h.value_at_percentile(99.99)}, {"100", h.value_at_percentile(100)}};
}

// A report as prefork-load writes it, of `latency` and `lateness`.
json report(const LatencyHistogram& latency, const LatencyHistogram& lateness, double rate, bool bound = false) {
    return {{"url", "http://198.18.0.2:8080/"}, {"mode", "open"}, {"arrival", "poisson"}, {"costs", json::array()},
            {"seed", 7}, {"connections", 32}, {"threads", 1}, {"connect_per_request", false}, {"duration_s", 10.0},
            {"warmup_s", 2.0}, {"offered_rate", rate}, {"achieved_rate", rate}, {"scheduled", latency.count()},
            {"scheduled_rate", rate}, {"sent", latency.count()}, {"completed", latency.count()},
            {"errors", {{"connect", 1}, {"read", 2}, {"write", 0}, {"timeout", 0}, {"status", 0}}},
            {"percentiles_us", percentiles(latency)}, {"mean_us", latency.mean()},
            {"send_lateness_us", percentiles(lateness)}, {"connect_us", percentiles(lateness)},
            {"client_queue", {{"queued", 3}, {"longest_wait_us", 40}, {"largest_backlog", 2}}}, {"reconnects", 0},
            {"connect_failures", 0}, {"measured_sent", latency.count()}, {"client_bound", bound},
            {"client_bound_reason", bound ? "p99 send lateness 900 µs above 100 µs" : ""}, {"generator_cpu_s", 0.5},
            {"wall_s", 12.5}, {"histogram", histogram_json(latency)}, {"lateness_histogram", histogram_json(lateness)}};
}

TEST(LoadReportMerge, PercentilesAreThoseOfEveryValueTogether) {
    std::mt19937_64 random(3);
    std::exponential_distribution<double> slow(1.0 / 5000), fast(1.0 / 800);
    LatencyHistogram a, b, all, late_a, late_b;
    for (int i = 0; i < 20'000; ++i) {
        const auto x = static_cast<std::uint64_t>(slow(random)) + 1;
        a.record(x);
        all.record(x);
        late_a.record(i % 50 + 1);
    }
    for (int i = 0; i < 30'000; ++i) {
        const auto x = static_cast<std::uint64_t>(fast(random)) + 1;
        b.record(x);
        all.record(x);
        late_b.record(i % 70 + 1);
    }
    const json merged = merge_load_reports({{"ssh://a#1", report(a, late_a, 100)}, {"ssh://b#1", report(b, late_b, 150)}});
    for (const char* key : {"50", "90", "99", "99.9", "99.99", "100"})
        EXPECT_EQ(merged["percentiles_us"][key], percentiles(all)[key]) << key;
    EXPECT_EQ(merged["histogram"]["max_us"], all.max());
    EXPECT_EQ(merged["histogram"]["min_us"], all.min());
    EXPECT_EQ(merged["completed"], 50'000);
    EXPECT_DOUBLE_EQ(merged["offered_rate"], 250);
    EXPECT_DOUBLE_EQ(merged["achieved_rate"], 5000);
    EXPECT_EQ(merged["connections"], 64);
    EXPECT_EQ(merged["errors"]["read"], 4);
    EXPECT_EQ(merged["client_queue"]["queued"], 6);
    EXPECT_EQ(merged["merged_from"], 2);
    EXPECT_EQ(merged["clients"].size(), 2u);
    EXPECT_EQ(merged["clients"][1]["client"], "ssh://b#1");
    EXPECT_FALSE(merged["client_bound"]);
    EXPECT_TRUE(merged.contains("not_exact"));
}

TEST(LoadReportMerge, OneBoundClientMakesTheRunBoundNamingIt) {
    LatencyHistogram h;
    h.record(100);
    const json merged = merge_load_reports({{"local#1", report(h, h, 10)}, {"ssh://c#2", report(h, h, 10, true)}});
    EXPECT_TRUE(merged["client_bound"]);
    EXPECT_EQ(merged["client_bound_reason"], "ssh://c#2: p99 send lateness 900 µs above 100 µs");
}

TEST(LoadReportMerge, ABadReportIsNamed) {
    LatencyHistogram h;
    h.record(100);
    json broken = report(h, h, 10);
    broken.erase("lateness_histogram");
    try {
        merge_load_reports({{"local#1", report(h, h, 10)}, {"ssh://d#1", broken}});
        FAIL() << "no error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("lateness_histogram"), std::string::npos) << error.what();
    }
    EXPECT_THROW(merge_load_reports({}), std::runtime_error);
}

TEST(LatencyHistogramRead, BucketsWithTheirExtremesGiveTheHistogramBack) {
    LatencyHistogram h;
    for (std::uint64_t v : {3'001u, 5'123u, 77'777u, 123'456'789u}) h.record(v);
    std::vector<LatencyHistogram::Bucket> buckets = h.buckets();
    const LatencyHistogram back = LatencyHistogram::from_buckets(buckets, h.min(), h.max(), h.saturated());
    EXPECT_EQ(back.max(), h.max());
    EXPECT_EQ(back.min(), h.min());
    EXPECT_EQ(back.saturated(), 1u);
    EXPECT_EQ(back.value_at_percentile(75), h.value_at_percentile(75));
    EXPECT_THROW(LatencyHistogram::from_buckets(buckets, 1, h.max(), 0), std::invalid_argument);
}

} // namespace
} // namespace pb::harness
