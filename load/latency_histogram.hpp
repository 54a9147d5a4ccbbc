#pragma once
// Response latencies of the open-loop load generator, one histogram per thread,
// merged exactly at the end and written out as buckets so that runs from several
// threads or hosts can be merged again later.
//
// The layout is HdrHistogram's for 1 µs .. 100 s at 3 significant digits:
// 2048 sub-buckets (2^ceil(log2(2 * 10^3))), so values below 2048 µs get a slot
// each; above that, bucket b holds [1024 << b, 2048 << b) in 1024 slots 2^b wide.
// A slot is never wider than 1/1024 of its lowest value, hence the 1/1000 bound.
#include <cstdint>
#include <vector>

namespace pb::load {

// Values are microseconds. Every value is stored with a relative error of at most
// 1/1000 (values below 2048 µs exactly). The counts array is allocated once in the
// constructor; record() never allocates.
class LatencyHistogram {
public:
    static constexpr std::uint64_t lowest_us = 1, highest_us = 100'000'000;

    LatencyHistogram();

    // 0 is recorded as 1 µs (the clock's tick is a microsecond); values above
    // highest_us are recorded as highest_us and counted in saturated().
    void record(std::uint64_t value_us) noexcept;
    void record_n(std::uint64_t value_us, std::uint64_t count) noexcept;
    // Exact: the result equals one histogram that recorded both sets of values.
    void merge(const LatencyHistogram& other) noexcept;
    void reset() noexcept;

    std::uint64_t count() const noexcept;
    std::uint64_t saturated() const noexcept; // values that were above highest_us
    std::uint64_t min() const noexcept;       // exact (after clamping), 0 when empty
    std::uint64_t max() const noexcept;       // exact (after clamping), 0 when empty
    double mean() const noexcept;             // from slot midpoints, as HdrHistogram does

    // Nearest rank, as HdrHistogram: the highest equivalent value of the first slot whose
    // cumulative count reaches ceil(p/100 * count) (at least 1), capped at max() so that
    // percentiles never exceed the maximum; p is clamped to [0, 100]; 100 gives max().
    // 0 when empty.
    std::uint64_t value_at_percentile(double p) const noexcept;

    struct Bucket {
        std::uint64_t value_us; // the slot's lowest equivalent value
        std::uint64_t count;
    };
    // The non-empty slots, ascending (for JSON).
    std::vector<Bucket> buckets() const;
    // Inverse of buckets(): records each count at its value. Buckets carry no exact
    // extremes, so min() and max() become the lowest values of the outer slots.
    // Throws std::invalid_argument for a value outside [lowest_us, highest_us].
    static LatencyHistogram from_buckets(const std::vector<Bucket>& buckets);
    // As above, with what a report carries beside its buckets: the exact
    // extremes and the count of values above the range, so that a histogram
    // read back (and merged with others) is the one written. Throws
    // std::invalid_argument when they do not fit the buckets.
    static LatencyHistogram from_buckets(const std::vector<Bucket>& buckets, std::uint64_t min_us, std::uint64_t max_us,
                                         std::uint64_t saturated);

    // The smallest and largest values stored in the same slot as value_us.
    static std::uint64_t lowest_equivalent(std::uint64_t value_us) noexcept;
    static std::uint64_t highest_equivalent(std::uint64_t value_us) noexcept;

private:
    std::vector<std::uint64_t> counts_; // one per slot, indexed by slot_of(value)
    std::uint64_t count_ = 0;
    std::uint64_t saturated_ = 0;
    std::uint64_t min_ = UINT64_MAX; // so that the first record() lowers it
    std::uint64_t max_ = 0;
};

} // namespace pb::load
