#pragma once
// One report from the reports of several wrk processes that loaded the same
// server at the same time (wrk across hosts). Counts and rates add up
// exactly; the latency cannot: wrk reports a fixed set of percentiles, not
// its histogram, so the merged percentiles come from the request-weighted
// mixture of the clients' percentile curves, each drawn straight between
// its points. They are an estimate, and the results say so
// (runs.csv latency_exact = false); each client's own spectrum is kept.
#include <vector>

#include "measure/wrk_report.hpp"

namespace pb::harness {

// requests, bytes and errors summed; requests_per_second() is the sum of the
// clients' rates; min and max over all; mean weighted by requests, stdev
// pooled. Percentiles as above, at the first report's percentiles. Throws
// std::invalid_argument on no reports.
WrkReport merge_wrk_reports(const std::vector<WrkReport>& reports);

} // namespace pb::harness
