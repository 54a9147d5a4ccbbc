#pragma once
// meta.json: where, with what and how a scenario was run, so that every
// figure in a results directory can be traced to its machine, its code and
// its exact commands.
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/preflight.hpp"
#include "runner.hpp"

namespace pb::harness {

// The facts known before the first run.
nlohmann::json start_meta(const RunContext& context, const Preflight& preflight,
                          const std::filesystem::path& scenario_file, std::chrono::system_clock::time_point started);

// Adds the end time, every run's exact commands and whether it was interrupted.
void finish_meta(nlohmann::json& meta, const std::vector<RunResult>& results, bool interrupted,
                 std::chrono::system_clock::time_point ended);

// Written beside and renamed into place.
void write_json(const std::filesystem::path& file, const nlohmann::json& value);

// argv as a shell would need it typed: arguments quoted where they must be.
std::string join_command(const std::vector<std::string>& argv);

// `when` in UTC in fmt's chrono format, e.g. "{:%Y%m%dT%H%M%SZ}".
std::string utc_stamp(std::chrono::system_clock::time_point when, const char* format);

// This machine's name, the folder of its results.
std::string hostname();

} // namespace pb::harness
