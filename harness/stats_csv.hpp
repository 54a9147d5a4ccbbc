#pragma once
// Reads the per-worker counters a server writes with --stats
// (servers/core/counters.hpp) and turns two snapshots into a delta.
#include <filesystem>
#include <vector>

#include "run_result.hpp"

namespace pb::harness {

// Columns are found by their header name, so a server that adds columns
// still reads. Throws std::runtime_error naming the file, the line and the
// column on a missing column or a bad value.
std::vector<WorkerRow> read_stats_csv(const std::filesystem::path& file);

// The counters gathered between two snapshots: per worker index, final minus
// baseline (a worker absent from the baseline counts from 0), pid from the
// final snapshot. Rows come in the order of final_rows.
std::vector<WorkerRow> subtract(const std::vector<WorkerRow>& final_rows, const std::vector<WorkerRow>& baseline);

} // namespace pb::harness
