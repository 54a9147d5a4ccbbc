#include "load/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

namespace {

using pb::load::LatencyHistogram;
using Values = std::vector<std::uint64_t>;

constexpr std::uint64_t highest = LatencyHistogram::highest_us;

// Pairs print readably when a comparison fails.
std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs(const LatencyHistogram& histogram) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    for (const LatencyHistogram::Bucket& bucket : histogram.buckets()) out.emplace_back(bucket.value_us, bucket.count);
    return out;
}

LatencyHistogram histogram_of(const Values& values) {
    LatencyHistogram histogram;
    for (std::uint64_t value : values) histogram.record(value);
    return histogram;
}

std::uint64_t in_range(double value) {
    return std::clamp<std::uint64_t>(std::llround(std::max(value, 0.0)), 1, highest);
}

Values exponential(std::mt19937_64& random, std::size_t n) {
    std::exponential_distribution<double> latency(1.0 / 2'000); // mean 2 ms
    Values values(n);
    for (auto& value : values) value = in_range(latency(random));
    return values;
}

// A fast path (cache hits, ~300 µs) and a slow one (~40 ms), as a server with a backend.
Values bimodal(std::mt19937_64& random, std::size_t n) {
    std::normal_distribution<double> fast(300, 50), slow(40'000, 5'000);
    std::bernoulli_distribution is_slow(0.1);
    Values values(n);
    for (auto& value : values) value = in_range(is_slow(random) ? slow(random) : fast(random));
    return values;
}

Values uniform(std::mt19937_64& random, std::size_t n) {
    std::uniform_int_distribution<std::uint64_t> latency(1, highest);
    Values values(n);
    for (auto& value : values) value = latency(random);
    return values;
}

Values mixed(std::mt19937_64& random, std::size_t n) {
    Values values = exponential(random, n / 3);
    for (const Values& more : {bimodal(random, n / 3), uniform(random, n - 2 * (n / 3))})
        values.insert(values.end(), more.begin(), more.end());
    std::shuffle(values.begin(), values.end(), random);
    return values;
}

TEST(LatencyHistogram, ValuesBelow2048AreExact) {
    LatencyHistogram histogram;
    for (std::uint64_t value = 1; value < 2048; ++value) {
        EXPECT_EQ(LatencyHistogram::lowest_equivalent(value), value);
        EXPECT_EQ(LatencyHistogram::highest_equivalent(value), value);
        histogram.record(value);
    }
    auto buckets = histogram.buckets();
    ASSERT_EQ(buckets.size(), 2047u);
    for (std::uint64_t value = 1; value < 2048; ++value) {
        EXPECT_EQ(buckets[value - 1].value_us, value);
        EXPECT_EQ(buckets[value - 1].count, 1u);
    }
    // The first shared slot: 2048 and 2049 are one value.
    EXPECT_EQ(LatencyHistogram::lowest_equivalent(2049), 2048u);
    EXPECT_EQ(LatencyHistogram::highest_equivalent(2048), 2049u);
}

TEST(LatencyHistogram, RelativeErrorIsAtMostOneThousandthAcrossTheRange) {
    Values values;
    for (int bit = 0; bit <= 26; ++bit)
        for (std::uint64_t value : {(1ull << bit) - 1, 1ull << bit, (1ull << bit) + 1})
            if (value >= 1 && value <= highest) values.push_back(value);
    values.push_back(highest);
    std::mt19937_64 random(7);
    std::uniform_real_distribution<double> log_value(0, std::log(double(highest)));
    for (int i = 0; i < 100'000; ++i) values.push_back(in_range(std::exp(log_value(random))));
    for (std::uint64_t value : uniform(random, 100'000)) values.push_back(value);

    for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint64_t value = values[i];
        std::uint64_t lowest = LatencyHistogram::lowest_equivalent(value);
        std::uint64_t top = LatencyHistogram::highest_equivalent(value);
        ASSERT_LE(lowest, value);
        ASSERT_GE(top, value);
        // Any value of the slot stands for any other within 1/1000.
        ASSERT_LE((top - lowest) * 1000, lowest) << value;
        // They are the slot's edges: the neighbours belong to other slots.
        ASSERT_EQ(LatencyHistogram::lowest_equivalent(top + 1), top + 1) << value;
        ASSERT_EQ(LatencyHistogram::highest_equivalent(lowest - 1), lowest - 1) << value;

        if (i > 2'000) continue; // the sweep and some random ones also through record()
        LatencyHistogram histogram;
        histogram.record(value);
        auto buckets = histogram.buckets();
        ASSERT_EQ(buckets.size(), 1u);
        ASSERT_EQ(buckets[0].value_us, lowest) << value;
    }
}

TEST(LatencyHistogram, MergedPerThreadHistogramsEqualOneHistogramOfAllValues) {
    std::mt19937_64 random(42);
    Values values = mixed(random, 1'000'000);
    values.insert(values.end(), {0, 0, highest + 1, 7'000'000'000}); // clamped at both ends

    LatencyHistogram all = histogram_of(values);
    std::vector<LatencyHistogram> threads(4);
    std::uniform_int_distribution<std::size_t> thread(0, threads.size() - 1);
    for (std::uint64_t value : values) threads[thread(random)].record(value);
    LatencyHistogram merged;
    for (const LatencyHistogram& part : threads) {
        ASSERT_GT(part.count(), 0u); // every thread got a share
        merged.merge(part);
    }

    EXPECT_EQ(pairs(merged), pairs(all));
    EXPECT_EQ(merged.count(), values.size());
    EXPECT_EQ(merged.count(), all.count());
    EXPECT_EQ(merged.saturated(), 2u);
    EXPECT_EQ(merged.saturated(), all.saturated());
    EXPECT_EQ(merged.min(), 1u);
    EXPECT_EQ(merged.min(), all.min());
    EXPECT_EQ(merged.max(), highest);
    EXPECT_EQ(merged.max(), all.max());
    EXPECT_EQ(merged.mean(), all.mean());
}

TEST(LatencyHistogram, MergingAnEmptyHistogramKeepsMinAndMax) {
    LatencyHistogram histogram = histogram_of({500, 9'000});
    histogram.merge(LatencyHistogram());
    EXPECT_EQ(histogram.min(), 500u);
    EXPECT_EQ(histogram.max(), 9'000u);
    EXPECT_EQ(histogram.count(), 2u);

    LatencyHistogram empty;
    empty.merge(histogram);
    EXPECT_EQ(pairs(empty), pairs(histogram));
    EXPECT_EQ(empty.min(), 500u);
    EXPECT_EQ(empty.max(), 9'000u);
}

// Nearest rank: the value at rank ceil(p/100 * n), at least 1, counted in integers so
// that the oracle does not share the histogram's floating point.
TEST(LatencyHistogram, PercentilesMatchASortedArrayWithinPrecision) {
    std::mt19937_64 random(1234);
    const std::size_t n = 1'000'000;
    const struct {
        const char* name;
        Values values;
    } sets[] = {
        {"exponential", exponential(random, n)},
        {"bimodal", bimodal(random, n)},
        {"uniform", uniform(random, n)},
        {"mixed", mixed(random, n)},
    };
    const std::uint64_t basis_points[] = {0, 100, 5'000, 9'000, 9'900, 9'990, 9'999, 10'000};
    for (const auto& set : sets) {
        LatencyHistogram histogram = histogram_of(set.values);
        Values sorted = set.values;
        std::sort(sorted.begin(), sorted.end());
        for (std::uint64_t bp : basis_points) {
            std::uint64_t rank = std::max<std::uint64_t>((bp * n + 9'999) / 10'000, 1);
            std::uint64_t oracle = sorted[rank - 1];
            // Capped at max() (see the header), so the top slot reads at most the max.
            std::uint64_t want = std::min(LatencyHistogram::highest_equivalent(oracle), sorted.back());
            EXPECT_EQ(histogram.value_at_percentile(double(bp) / 100), want)
                << set.name << " p" << double(bp) / 100 << " oracle " << oracle;
        }
        EXPECT_EQ(histogram.value_at_percentile(100), sorted.back()) << set.name;
        EXPECT_EQ(histogram.max(), sorted.back()) << set.name;
        EXPECT_EQ(histogram.min(), sorted.front()) << set.name;
    }
}

TEST(LatencyHistogram, PercentilesNeverDecreaseAndNeverPassMax) {
    std::mt19937_64 random(99);
    LatencyHistogram histogram = histogram_of(mixed(random, 100'000));
    std::vector<double> ps;
    for (int step = 0; step <= 10'000; ++step) ps.push_back(step / 100.0);
    for (int step = 0; step <= 1'000; ++step) ps.push_back(99.99 + step / 100'000.0); // the tail, finer
    std::sort(ps.begin(), ps.end());
    std::uint64_t previous = 0;
    for (double p : ps) {
        std::uint64_t value = histogram.value_at_percentile(p);
        ASSERT_GE(value, previous) << "p" << p;
        ASSERT_LE(value, histogram.max()) << "p" << p;
        previous = value;
    }
}

// Where a value is exact, a rank is visible as a value: 1000 values 1..1000.
TEST(LatencyHistogram, PercentileRanksOfTypedDecimals) {
    Values values(1'000);
    for (std::uint64_t i = 0; i < values.size(); ++i) values[i] = i + 1;
    LatencyHistogram histogram = histogram_of(values);
    const struct {
        double p;
        std::uint64_t rank;
    } cases[] = {
        {0, 1}, {0.1, 1}, {0.15, 2}, {50, 500}, {50.05, 501}, {99, 990}, {99.9, 999}, {99.95, 1000}, {100, 1000},
        {-5, 1}, {150, 1000}, {std::nan(""), 1},
    };
    for (const auto& c : cases) EXPECT_EQ(histogram.value_at_percentile(c.p), c.rank) << "p" << c.p;
}

TEST(LatencyHistogram, MeanUsesSlotMidpoints) {
    LatencyHistogram histogram;
    histogram.record(100'001); // slot 99'968 .. 100'031, midpoint 100'000
    EXPECT_EQ(LatencyHistogram::lowest_equivalent(100'001), 99'968u);
    EXPECT_EQ(histogram.mean(), 100'000.0);
    histogram.record(1'000); // exact
    EXPECT_EQ(histogram.mean(), 50'500.0);
}

TEST(LatencyHistogram, FromBucketsRebuildsTheBuckets) {
    std::mt19937_64 random(5);
    LatencyHistogram original = histogram_of(mixed(random, 200'000));
    LatencyHistogram rebuilt = LatencyHistogram::from_buckets(original.buckets());
    EXPECT_EQ(pairs(rebuilt), pairs(original));
    EXPECT_EQ(rebuilt.count(), original.count());
    EXPECT_EQ(rebuilt.min(), LatencyHistogram::lowest_equivalent(original.min()));
    EXPECT_EQ(rebuilt.max(), LatencyHistogram::lowest_equivalent(original.max()));
    EXPECT_EQ(rebuilt.value_at_percentile(50), original.value_at_percentile(50));
    EXPECT_EQ(pairs(LatencyHistogram::from_buckets(rebuilt.buckets())), pairs(original));
}

TEST(LatencyHistogram, FromBucketsRejectsValuesOutOfRange) {
    EXPECT_THROW(LatencyHistogram::from_buckets({{0, 1}}), std::invalid_argument);
    EXPECT_THROW(LatencyHistogram::from_buckets({{5, 1}, {highest + 1, 1}}), std::invalid_argument);
    EXPECT_NO_THROW(LatencyHistogram::from_buckets({{1, 1}, {highest, 1}}));
}

TEST(LatencyHistogram, ValuesAbove100SecondsAreClampedAndCounted) {
    LatencyHistogram histogram;
    histogram.record(highest);
    EXPECT_EQ(histogram.saturated(), 0u);
    histogram.record(highest + 1);
    histogram.record(5'000'000'000);
    histogram.record_n(UINT64_MAX, 3);
    EXPECT_EQ(histogram.saturated(), 5u);
    EXPECT_EQ(histogram.count(), 6u);
    EXPECT_EQ(histogram.max(), highest);
    EXPECT_EQ(histogram.value_at_percentile(100), highest);
    EXPECT_EQ(histogram.value_at_percentile(1), highest);
    ASSERT_EQ(histogram.buckets().size(), 1u);
    EXPECT_EQ(histogram.buckets()[0].value_us, LatencyHistogram::lowest_equivalent(highest));
}

TEST(LatencyHistogram, ZeroIsRecordedAsOneMicrosecond) {
    LatencyHistogram histogram;
    histogram.record(0);
    EXPECT_EQ(histogram.min(), 1u);
    EXPECT_EQ(histogram.max(), 1u);
    EXPECT_EQ(pairs(histogram), (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 1}}));
}

TEST(LatencyHistogram, RecordingACountOfZeroChangesNothing) {
    LatencyHistogram histogram;
    histogram.record_n(700, 0);
    EXPECT_EQ(histogram.count(), 0u);
    EXPECT_EQ(histogram.max(), 0u);
    histogram.record_n(700, 4);
    EXPECT_EQ(pairs(histogram), (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{700, 4}}));
}

void expect_empty(const LatencyHistogram& histogram) {
    EXPECT_EQ(histogram.count(), 0u);
    EXPECT_EQ(histogram.saturated(), 0u);
    EXPECT_EQ(histogram.min(), 0u);
    EXPECT_EQ(histogram.max(), 0u);
    EXPECT_EQ(histogram.mean(), 0.0);
    for (double p : {0.0, 50.0, 100.0}) EXPECT_EQ(histogram.value_at_percentile(p), 0u) << "p" << p;
    EXPECT_TRUE(histogram.buckets().empty());
}

TEST(LatencyHistogram, EmptyAnswersZero) { expect_empty(LatencyHistogram()); }

TEST(LatencyHistogram, ResetEmptiesAndTheNextMinIsFresh) {
    LatencyHistogram histogram = histogram_of({3, 40, highest + 9});
    histogram.reset();
    expect_empty(histogram);
    histogram.record(900);
    EXPECT_EQ(histogram.min(), 900u);
    EXPECT_EQ(histogram.max(), 900u);
}

} // namespace
