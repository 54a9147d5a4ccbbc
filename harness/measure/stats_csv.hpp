#pragma once
// Reads the per-worker counters a server writes with --stats
// (servers/stats/worker_counters.hpp) and turns two snapshots into a delta.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "common/worker_counter_list.hpp"

namespace pb::harness {

// One row of a server's --stats CSV (servers/stats/worker_counters.hpp), as
// a delta over the measured window when a baseline was taken: worker and pid,
// then every counter of common/worker_counter_list.hpp.
struct WorkerRow {
    int worker = 0;
    int pid = 0;
#define PB_ROW_FIELD(name, meaning) std::uint64_t name = 0;
    PB_WORKER_COUNTERS(PB_ROW_FIELD)
#undef PB_ROW_FIELD
};

// Columns are found by their header name, so a server that adds columns
// still reads. Throws std::runtime_error naming the file, the line and the
// column on a missing column or a bad value.
std::vector<WorkerRow> read_stats_csv(const std::filesystem::path& file);

// The counters gathered between two snapshots: per worker index, final minus
// baseline (a worker absent from the baseline counts from 0), pid from the
// final snapshot. Rows come in the order of final_rows.
std::vector<WorkerRow> subtract(const std::vector<WorkerRow>& final_rows, const std::vector<WorkerRow>& baseline);

} // namespace pb::harness
