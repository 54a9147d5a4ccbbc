#pragma once
// Reads the JSON that wrk/report.lua writes when wrk finishes.
#include <filesystem>

#include "run_result.hpp"

namespace pb::harness {

// Converts wrk's microseconds to the milliseconds and seconds of WrkReport.
// Throws std::runtime_error naming the file and the missing or bad key.
WrkReport parse_wrk_report(const std::filesystem::path& file);

} // namespace pb::harness
