#pragma once
// An open-loop run whose load comes from several generator processes, on
// this machine or on client hosts ([hosts]): the rate and the connections
// split over them (open_load.hpp's LoadPart), all started at one moment
// (client_fleet.hpp), the server sampled on its own host, the reports merged
// exactly into the run's one report (measure/load_report_merge.hpp).
#include <filesystem>

#include "launch/launched_server.hpp"
#include "results/run_result.hpp"
#include "runner.hpp"

namespace pb::harness {

// Whether a run goes through the fleet: another host, or more than one client process.
bool uses_fleet(const Scenario& scenario);

// Runs the clients to their end while the server is sampled; fills result's
// usage, the merged report's figures, the clients and their skew. Writes
// raw/run-NNN-client-K-* and the merged report at `merged_report`.
void run_open_fleet(const RunContext& context, LaunchedServer& server, const PlannedRun& planned,
                    const std::filesystem::path& merged_report, RunResult& result);

} // namespace pb::harness
