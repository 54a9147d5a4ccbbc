#include "measure/wrk_report_merge.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pb::harness {
namespace {

// A client's latency distribution as wrk reported it: the share of its
// requests at or below x, straight between (min, 0), its percentiles and
// (max, 100). Where wrk gave several percentiles one latency (whole
// microseconds make ties common) the share jumps there.
class PercentileCurve {
public:
    explicit PercentileCurve(const WrkReport& report) {
        points_.push_back({0, report.latency_min_ms});
        for (const Percentile& p : report.percentiles)
            points_.push_back({p.percentile, std::max(p.latency_ms, points_.back().latency_ms)});
        points_.push_back({100, std::max(report.latency_max_ms, points_.back().latency_ms)});
    }

    // In 0..100: after the jump at x, if there is one.
    double share_at_or_below(double latency_ms) const {
        if (latency_ms < points_.front().latency_ms) return 0;
        if (latency_ms >= points_.back().latency_ms) return 100;
        // The last point at or below x: a tie gives its highest percentile.
        const auto above = std::upper_bound(points_.begin(), points_.end(), latency_ms,
                                            [](double x, const Percentile& p) { return x < p.latency_ms; });
        return along(*(above - 1), *above, latency_ms);
    }

    // In 0..100: before the jump at x, if there is one.
    double share_below(double latency_ms) const {
        if (latency_ms <= points_.front().latency_ms) return 0;
        if (latency_ms > points_.back().latency_ms) return 100;
        // The first point at or above x: a tie gives its lowest percentile.
        const auto at = std::lower_bound(points_.begin(), points_.end(), latency_ms,
                                         [](const Percentile& p, double x) { return p.latency_ms < x; });
        return along(*(at - 1), *at, latency_ms);
    }

    const std::vector<Percentile>& points() const { return points_; }

private:
    // Straight from low to high, low.latency_ms <= x <= high.latency_ms, low below high.
    static double along(const Percentile& low, const Percentile& high, double x) {
        const double span = high.latency_ms - low.latency_ms;
        if (span <= 0) return low.percentile;
        return low.percentile + (high.percentile - low.percentile) * (x - low.latency_ms) / span;
    }

    std::vector<Percentile> points_; // ascending in both
};

// The mixture's percentile p: the smallest latency whose weighted share
// reaches p. Between consecutive knots of all the curves the mixture is
// straight, from its value after the jump at the lower knot to its value
// before the jump at the upper one; so p is either on such a stretch or at
// a knot's jump.
double mixture_percentile(const std::vector<PercentileCurve>& curves, const std::vector<double>& weights, double p) {
    std::vector<double> knots;
    for (const PercentileCurve& curve : curves)
        for (const Percentile& point : curve.points()) knots.push_back(point.latency_ms);
    std::sort(knots.begin(), knots.end());
    knots.erase(std::unique(knots.begin(), knots.end()), knots.end());
    const auto share = [&](double x, bool after_jump) {
        double total = 0;
        for (std::size_t i = 0; i < curves.size(); ++i)
            total += weights[i] * (after_jump ? curves[i].share_at_or_below(x) : curves[i].share_below(x));
        return total;
    };
    double previous_x = knots.front(), previous_share = share(previous_x, true);
    if (previous_share >= p) return previous_x;
    for (std::size_t k = 1; k < knots.size(); ++k) {
        const double x = knots[k], before = share(x, false);
        if (before >= p) return previous_x + (x - previous_x) * (p - previous_share) / (before - previous_share);
        const double after = share(x, true);
        if (after >= p) return x;
        previous_x = x;
        previous_share = after;
    }
    return knots.back();
}

} // namespace

WrkReport merge_wrk_reports(const std::vector<WrkReport>& reports) {
    if (reports.empty()) throw std::invalid_argument("merge_wrk_reports: no reports");
    if (reports.size() == 1) return reports.front();
    WrkReport merged;
    double rate = 0, requests = 0;
    for (const WrkReport& r : reports) {
        merged.requests += r.requests;
        merged.bytes += r.bytes;
        merged.errors.connect += r.errors.connect;
        merged.errors.read += r.errors.read;
        merged.errors.write += r.errors.write;
        merged.errors.status += r.errors.status;
        merged.errors.timeout += r.errors.timeout;
        rate += r.requests_per_second();
        requests += static_cast<double>(r.requests);
    }
    // The clients ran the same -d from one start barrier, their windows
    // milliseconds apart: the duration is the one over which the summed
    // requests give the summed rates.
    merged.duration_s = rate > 0 ? requests / rate : reports.front().duration_s;

    std::vector<double> weights;
    std::vector<PercentileCurve> curves;
    double mean = 0, second_moment = 0;
    merged.latency_min_ms = reports.front().latency_min_ms;
    for (const WrkReport& r : reports) {
        const double weight = requests > 0 ? static_cast<double>(r.requests) / requests : 1.0 / static_cast<double>(reports.size());
        weights.push_back(weight);
        curves.emplace_back(r);
        mean += weight * r.latency_mean_ms;
        second_moment += weight * (r.latency_stdev_ms * r.latency_stdev_ms + r.latency_mean_ms * r.latency_mean_ms);
        merged.latency_min_ms = std::min(merged.latency_min_ms, r.latency_min_ms);
        merged.latency_max_ms = std::max(merged.latency_max_ms, r.latency_max_ms);
    }
    merged.latency_mean_ms = mean;
    merged.latency_stdev_ms = std::sqrt(std::max(0.0, second_moment - mean * mean));
    for (const Percentile& p : reports.front().percentiles)
        merged.percentiles.push_back({p.percentile, p.percentile >= 100 ? merged.latency_max_ms
                                                                        : mixture_percentile(curves, weights, p.percentile)});
    return merged;
}

} // namespace pb::harness
