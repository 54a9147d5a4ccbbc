// Merging the reports of several wrk processes that loaded one run: counts
// and rates add exactly; the latency is the request-weighted mixture of the
// clients' percentile curves.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <stdexcept>

#include "measure/wrk_report_merge.hpp"

namespace pb::harness {
namespace {

// A report whose latency at percentile p is `at(p)` ms, at wrk's percentiles.
WrkReport report(std::uint64_t requests, double duration_s, const std::function<double(double)>& at) {
    WrkReport r;
    r.requests = requests;
    r.bytes = requests * 100;
    r.duration_s = duration_s;
    r.errors.timeout = 1;
    r.errors.read = 2;
    for (int p = 1; p <= 99; ++p) r.percentiles.push_back({double(p), at(p)});
    for (double p : {99.9, 99.99, 99.999, 100.0}) r.percentiles.push_back({p, at(p)});
    r.latency_min_ms = at(0);
    r.latency_max_ms = at(100);
    return r;
}

// Uniform between lo and hi ms: the percentile curve is a straight line.
WrkReport uniform(std::uint64_t requests, double lo, double hi) {
    WrkReport r = report(requests, 10, [=](double p) { return lo + (hi - lo) * p / 100; });
    r.latency_mean_ms = (lo + hi) / 2;
    r.latency_stdev_ms = (hi - lo) / std::sqrt(12.0);
    return r;
}

TEST(WrkReportMerge, CountsAddAndRatesAdd) {
    const WrkReport a = report(1000, 10.0, [](double) { return 1.0; });
    const WrkReport b = report(3000, 10.02, [](double) { return 2.0; });
    const WrkReport merged = merge_wrk_reports({a, b});
    EXPECT_EQ(merged.requests, 4000u);
    EXPECT_EQ(merged.bytes, 400'000u);
    EXPECT_EQ(merged.errors.timeout, 2u);
    EXPECT_EQ(merged.errors.read, 4u);
    EXPECT_EQ(merged.errors.total(), 6u);
    EXPECT_NEAR(merged.requests_per_second(), 1000 / 10.0 + 3000 / 10.02, 1e-9);
    EXPECT_DOUBLE_EQ(merged.latency_min_ms, 1.0);
    EXPECT_DOUBLE_EQ(merged.latency_max_ms, 2.0);
}

TEST(WrkReportMerge, MeanIsWeightedByRequestsAndStdevPooled) {
    WrkReport a = report(1000, 10, [](double) { return 1.0; });
    WrkReport b = report(3000, 10, [](double) { return 3.0; });
    a.latency_mean_ms = 1;
    b.latency_mean_ms = 3;
    const WrkReport merged = merge_wrk_reports({a, b});
    EXPECT_DOUBLE_EQ(merged.latency_mean_ms, 2.5);
    // A quarter at 1 and three quarters at 3: variance 0.75.
    EXPECT_NEAR(merged.latency_stdev_ms, std::sqrt(0.75), 1e-12);
}

TEST(WrkReportMerge, IdenticalClientsMergeToTheirOwnPercentiles) {
    const WrkReport a = uniform(2000, 0.5, 8.5);
    const WrkReport merged = merge_wrk_reports({a, a});
    ASSERT_EQ(merged.percentiles.size(), a.percentiles.size());
    for (std::size_t i = 0; i < a.percentiles.size(); ++i) {
        EXPECT_DOUBLE_EQ(merged.percentiles[i].percentile, a.percentiles[i].percentile);
        EXPECT_NEAR(merged.percentiles[i].latency_ms, a.percentiles[i].latency_ms, 1e-9) << a.percentiles[i].percentile;
    }
}

TEST(WrkReportMerge, PercentilesAreThoseOfTheWeightedMixture) {
    // Half the requests uniform on 0..10 ms, half on 10..20 ms: together
    // uniform on 0..20 ms.
    const WrkReport merged = merge_wrk_reports({uniform(5000, 0, 10), uniform(5000, 10, 20)});
    EXPECT_NEAR(merged.latency_at(25), 5.0, 1e-9);
    EXPECT_NEAR(merged.latency_at(50), 10.0, 1e-9);
    EXPECT_NEAR(merged.latency_at(75), 15.0, 1e-9);
    EXPECT_NEAR(merged.latency_at(99), 19.8, 1e-9);
    EXPECT_DOUBLE_EQ(merged.latency_at(100), 20.0);
}

TEST(WrkReportMerge, TheBusierClientWeighsMore) {
    // Three quarters of the requests on 0..10 ms: the median is at 2/3 of them.
    const WrkReport merged = merge_wrk_reports({uniform(7500, 0, 10), uniform(2500, 10, 20)});
    EXPECT_NEAR(merged.latency_at(50), 50.0 / 75.0 * 10, 1e-9);
    EXPECT_NEAR(merged.latency_at(90), 10 + (90.0 - 75) / 25 * 10, 1e-9);
}

TEST(WrkReportMerge, TiedPercentilesAreAJumpNotASlope) {
    // wrk's whole microseconds: p50 to p52 all at 10 ms, p49 at 9 ms. The
    // share jumps at 10 ms from 49 % to 52 %, so p50 and p51 are 10 ms.
    const WrkReport tied = report(1000, 10, [](double p) { return p < 50 ? 9.0 * p / 49 : p <= 52 ? 10.0 : 10 + (p - 52) / 10; });
    const WrkReport merged = merge_wrk_reports({tied, tied});
    EXPECT_NEAR(merged.latency_at(49), 9.0, 1e-9);
    EXPECT_NEAR(merged.latency_at(50), 10.0, 1e-9);
    EXPECT_NEAR(merged.latency_at(51), 10.0, 1e-9);
    EXPECT_NEAR(merged.latency_at(52), 10.0, 1e-9);
    EXPECT_NEAR(merged.latency_at(53), 10.1, 1e-9);
    // Beside a client whose every request took 20 ms, the jump is half as high.
    const WrkReport slow = report(1000, 10, [](double) { return 20.0; });
    const WrkReport beside = merge_wrk_reports({tied, slow});
    EXPECT_NEAR(beside.latency_at(25), 10.0, 1e-9) << "25 % of all lies in the first client's jump (24.5 % to 26 %)";
    EXPECT_NEAR(beside.latency_at(60), 20.0, 1e-9) << "every share from 50 % up lies at or before the second's 20 ms";
}

TEST(WrkReportMerge, OneReportIsItselfAndNoneIsAnError) {
    const WrkReport a = uniform(10, 1, 2);
    EXPECT_EQ(merge_wrk_reports({a}).percentiles.size(), a.percentiles.size());
    EXPECT_DOUBLE_EQ(merge_wrk_reports({a}).latency_at(50), a.latency_at(50));
    EXPECT_THROW(merge_wrk_reports({}), std::invalid_argument);
}

} // namespace
} // namespace pb::harness
