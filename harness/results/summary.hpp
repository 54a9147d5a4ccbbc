#pragma once
// summary.md and summary.csv of a results directory. The summary table is
// computed in one place, the plots package (plots/summary/), which the
// figures, reproduce and the notebook read too; the harness runs it.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pb::harness {

// The interpreter and its arguments: $PREFORK_BENCH_PYTHON (a path or a
// name on PATH), else Debian's /usr/bin/python3 (which has pandas), else
// python3 on PATH. Nothing when none is found.
std::optional<std::vector<std::string>> summary_command(const std::filesystem::path& results_dir);

// Runs the summary over `results_dir` with the source tree on PYTHONPATH,
// its output in raw/summary.log. Nothing on success, else why it failed
// (the runs' files stay as they are).
std::optional<std::string> write_summary(const std::filesystem::path& results_dir,
                                         std::chrono::milliseconds timeout = std::chrono::minutes(2));

} // namespace pb::harness
