#pragma once
// The CSV files of a results directory, one row per run (runs.csv), per run
// and percentile (latency.csv) and per run and worker (workers.csv), and per run, client and percentile where
// several wrk loaded a run (latency-clients.csv). A value
// that was not measured or does not apply is an empty field, never a guess.
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "results/run_result.hpp"

namespace pb::harness {

void write_runs_csv(const std::filesystem::path& file, std::span<const RunResult> runs);
void write_latency_csv(const std::filesystem::path& file, std::span<const RunResult> runs);
// Each wrk's own percentiles of the runs that several wrk loaded; no file
// when there were none.
void write_latency_clients_csv(const std::filesystem::path& file, std::span<const RunResult> runs);
void write_workers_csv(const std::filesystem::path& file, std::span<const RunResult> runs);

// A CSV field quoted as RFC 4180 asks when it holds a comma, a quote or a
// line break.
std::string csv_field(std::string_view value);

} // namespace pb::harness
