#include "load/latency_histogram.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

namespace pb::load {
namespace {

// Slots. Bucket 0 is [0, 2048) at width 1; bucket b > 0 is [1024 << b, 2048 << b) at
// width 2^b. Each bucket after the first repeats only the upper half of the sub-buckets
// (the lower half is the previous bucket), so a value's slot is (b << 10) + (value >> b):
// bucket 0 takes slots 0..2047, bucket 1 slots 2048..3071, and so on.
constexpr int sub_bucket_bits = 11; // 2048 sub-buckets: 2^ceil(log2(2 * 10^3))
constexpr int half_bits = sub_bucket_bits - 1;
constexpr std::uint64_t sub_bucket_mask = (std::uint64_t{1} << sub_bucket_bits) - 1;

// Or-ing in the mask puts every value below 2048 in bucket 0 and keeps the shift >= 0.
constexpr int bucket_of(std::uint64_t value) {
    return 64 - std::countl_zero(value | sub_bucket_mask) - sub_bucket_bits;
}

constexpr std::size_t slot_of(std::uint64_t value) {
    int bucket = bucket_of(value);
    return (std::size_t(bucket) << half_bits) + std::size_t(value >> bucket);
}

constexpr std::uint64_t lowest_of_slot(std::size_t slot) {
    int bucket = std::max(0, int(slot >> half_bits) - 1);
    return std::uint64_t(slot - (std::size_t(bucket) << half_bits)) << bucket;
}

constexpr std::size_t slot_count = slot_of(LatencyHistogram::highest_us) + 1;
static_assert(slot_count == (16 << half_bits) + (100'000'000 >> 16) + 1, "100 s lies in bucket 16");
static_assert(lowest_of_slot(slot_of(2047)) == 2047 && lowest_of_slot(slot_of(3001)) == 3000);

constexpr std::uint64_t width_of(std::uint64_t value) { return std::uint64_t{1} << bucket_of(value); }

} // namespace

LatencyHistogram::LatencyHistogram() : counts_(slot_count, 0) {}

void LatencyHistogram::record(std::uint64_t value_us) noexcept { record_n(value_us, 1); }

void LatencyHistogram::record_n(std::uint64_t value_us, std::uint64_t count) noexcept {
    if (count == 0) return;
    value_us = std::max(value_us, lowest_us);
    if (value_us > highest_us) {
        value_us = highest_us;
        saturated_ += count;
    }
    counts_[slot_of(value_us)] += count;
    count_ += count;
    min_ = std::min(min_, value_us);
    max_ = std::max(max_, value_us);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
    for (std::size_t slot = 0; slot < slot_count; ++slot) counts_[slot] += other.counts_[slot];
    count_ += other.count_;
    saturated_ += other.saturated_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

void LatencyHistogram::reset() noexcept {
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = saturated_ = max_ = 0;
    min_ = UINT64_MAX;
}

std::uint64_t LatencyHistogram::count() const noexcept { return count_; }
std::uint64_t LatencyHistogram::saturated() const noexcept { return saturated_; }
std::uint64_t LatencyHistogram::min() const noexcept { return count_ == 0 ? 0 : min_; }
std::uint64_t LatencyHistogram::max() const noexcept { return max_; }

double LatencyHistogram::mean() const noexcept {
    if (count_ == 0) return 0;
    double sum = 0;
    for (std::size_t slot = 0; slot < slot_count; ++slot) {
        if (counts_[slot] == 0) continue;
        std::uint64_t lowest = lowest_of_slot(slot);
        double midpoint = double(lowest + width_of(lowest) / 2);
        sum += midpoint * double(counts_[slot]);
    }
    return sum / double(count_);
}

std::uint64_t LatencyHistogram::value_at_percentile(double p) const noexcept {
    if (count_ == 0) return 0;
    p = std::clamp(std::isnan(p) ? 0.0 : p, 0.0, 100.0);
    // A typed 99.9 is stored a hair above 99.9, which would make p99.9 of 1000 values
    // rank 1000; one step down (as HdrHistogram's Java version does) gives rank 999.
    double wanted = std::ceil(std::nextafter(p, 0.0) / 100 * double(count_));
    std::uint64_t rank = std::clamp(std::uint64_t(wanted), std::uint64_t{1}, count_);
    std::uint64_t seen = 0;
    for (std::size_t slot = 0; slot < slot_count; ++slot) {
        seen += counts_[slot];
        if (seen >= rank) return std::min(highest_equivalent(lowest_of_slot(slot)), max_);
    }
    return max_; // unreachable: the slots add up to count_
}

std::vector<LatencyHistogram::Bucket> LatencyHistogram::buckets() const {
    std::vector<Bucket> out;
    for (std::size_t slot = 0; slot < slot_count; ++slot)
        if (counts_[slot] != 0) out.push_back({lowest_of_slot(slot), counts_[slot]});
    return out;
}

LatencyHistogram LatencyHistogram::from_buckets(const std::vector<Bucket>& buckets) {
    LatencyHistogram histogram;
    for (const Bucket& bucket : buckets) {
        if (bucket.value_us < lowest_us || bucket.value_us > highest_us)
            throw std::invalid_argument("latency bucket " + std::to_string(bucket.value_us) +
                                        " us is outside 1 us .. 100 s");
        histogram.record_n(bucket.value_us, bucket.count);
    }
    return histogram;
}

LatencyHistogram LatencyHistogram::from_buckets(const std::vector<Bucket>& buckets, std::uint64_t min_us,
                                                std::uint64_t max_us, std::uint64_t saturated) {
    LatencyHistogram histogram = from_buckets(buckets);
    if (histogram.count() == 0) {
        if (min_us != 0 || max_us != 0 || saturated != 0)
            throw std::invalid_argument("latency histogram: extremes or saturated values without any bucket");
        return histogram;
    }
    if (lowest_equivalent(min_us) != lowest_equivalent(histogram.min_) || lowest_equivalent(max_us) != lowest_equivalent(histogram.max_) ||
        saturated > histogram.count())
        throw std::invalid_argument(fmt::format("latency histogram: min {} us, max {} us or {} saturated do not fit its buckets",
                                                min_us, max_us, saturated));
    histogram.min_ = min_us;
    histogram.max_ = max_us;
    histogram.saturated_ = saturated;
    return histogram;
}

std::uint64_t LatencyHistogram::lowest_equivalent(std::uint64_t value_us) noexcept {
    return value_us & ~(width_of(value_us) - 1);
}

std::uint64_t LatencyHistogram::highest_equivalent(std::uint64_t value_us) noexcept {
    return lowest_equivalent(value_us) + width_of(value_us) - 1;
}

} // namespace pb::load
