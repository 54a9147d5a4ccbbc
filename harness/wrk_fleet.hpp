#pragma once
// A wrk run whose load comes from several wrk processes, on this machine or
// on client hosts ([hosts]): the connections split over them, all started at
// one moment (client_fleet.hpp), warmed up the same way, the server sampled
// on its own host. The rates add up; the latency is merged from the clients'
// percentiles and is not exact (measure/wrk_report_merge.hpp), so each
// client's report is kept beside it.
#include "launch/launched_server.hpp"
#include "results/run_result.hpp"
#include "runner.hpp"

namespace pb::harness {

// The warm-up ([warmup]) the same way, without reports:
// raw/run-NNN-client-K-warmup-*.
void warm_up_wrk_fleet(const RunContext& context, LaunchedServer& server, RunResult& result);

// The measured run: fills result's wrk report (merged), usage and fleet
// (clients, skew, each client's report, the client-bound verdict). Writes
// raw/run-NNN-client-K-*. Leaves the server running.
void run_wrk_fleet(const RunContext& context, LaunchedServer& server, RunResult& result);

} // namespace pb::harness
