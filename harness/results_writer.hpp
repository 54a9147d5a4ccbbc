#pragma once
// The CSV files of a results directory, one row per run (runs.csv), per run
// and percentile (latency.csv) and per run and worker (workers.csv). A value
// that was not measured or does not apply is an empty field, never a guess.
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "run_result.hpp"

namespace pb::harness {

void write_runs_csv(const std::filesystem::path& file, std::span<const RunResult> runs);
void write_latency_csv(const std::filesystem::path& file, std::span<const RunResult> runs);
void write_workers_csv(const std::filesystem::path& file, std::span<const RunResult> runs);

// A CSV field quoted as RFC 4180 asks when it holds a comma, a quote or a
// line break.
std::string csv_field(std::string_view value);

// Writes beside the target and renames, so a reader never sees half a file.
// Throws std::runtime_error naming the file.
void write_file_atomically(const std::filesystem::path& file, std::string_view content);

} // namespace pb::harness
