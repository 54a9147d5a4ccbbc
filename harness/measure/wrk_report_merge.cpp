#include "measure/wrk_report_merge.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pb::harness {
namespace {

// A client's latency distribution as wrk reported it: the share of its
// requests at or below x, straight between (min, 0), its percentiles and
// (max, 100).
class PercentileCurve {
public:
    explicit PercentileCurve(const WrkReport& report) {
        points_.push_back({0, report.latency_min_ms});
        for (const Percentile& p : report.percentiles) points_.push_back(p);
        points_.push_back({100, std::max(report.latency_max_ms, points_.back().latency_ms)});
    }

    // In 0..100.
    double share_at_or_below(double latency_ms) const {
        if (latency_ms < points_.front().latency_ms) return 0;
        if (latency_ms >= points_.back().latency_ms) return 100;
        // The last point at or below x: flat stretches take their highest percentile.
        auto above = std::upper_bound(points_.begin(), points_.end(), latency_ms,
                                      [](double x, const Percentile& p) { return x < p.latency_ms; });
        const Percentile& high = *above;
        const Percentile& low = *(above - 1);
        const double span = high.latency_ms - low.latency_ms;
        return low.percentile + (high.percentile - low.percentile) * (latency_ms - low.latency_ms) / span;
    }

    const std::vector<Percentile>& points() const { return points_; }

private:
    std::vector<Percentile> points_; // ascending in both
};

// The mixture's percentile p: the smallest latency whose weighted share
// reaches p, found between the knots of every curve (the mixture is
// straight between consecutive knots, so this is exact for the curves).
double mixture_percentile(const std::vector<PercentileCurve>& curves, const std::vector<double>& weights, double p) {
    std::vector<double> knots;
    for (const PercentileCurve& curve : curves)
        for (const Percentile& point : curve.points()) knots.push_back(point.latency_ms);
    std::sort(knots.begin(), knots.end());
    knots.erase(std::unique(knots.begin(), knots.end()), knots.end());
    const auto share = [&](double x) {
        double total = 0;
        for (std::size_t i = 0; i < curves.size(); ++i) total += weights[i] * curves[i].share_at_or_below(x);
        return total;
    };
    double previous_x = knots.front(), previous_share = share(previous_x);
    if (previous_share >= p) return previous_x;
    for (std::size_t k = 1; k < knots.size(); ++k) {
        const double x = knots[k], at = share(x);
        if (at >= p) return previous_x + (x - previous_x) * (p - previous_share) / (at - previous_share);
        previous_x = x;
        previous_share = at;
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
