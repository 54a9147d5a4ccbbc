#pragma once
// The measurement of an idle-connections run (mode = "idle-connections"):
// on a server that has answered its health check, read its PSS, open
// [idle] connections keep-alive connections `batch` at a time (each with
// one answered request) and hold them, let the server settle, prove none
// was dropped, read the PSS again, time `probes` requests each on a new
// connection while they are held, then close them and stop the server.
#include <string>

#include "launch/launched_server.hpp"
#include "results/run_result.hpp"
#include "runner.hpp"

namespace pb::harness {

// Fills result.idle (and result.workers for ours), stops the server and
// writes raw/run-NNN-idle-probes.csv. Throws when a connection fails, a
// held one is dropped before the PSS is read, or on Ctrl-C.
void measure_idle(const RunContext& context, LaunchedServer& server, RunResult& result);

// What a run will do, for --dry-run: "hold 10000 connections, 100 at a time, ...".
std::string describe_idle(const IdleSpec& idle);

// A finished run's figures in one line, for the progress output.
std::string idle_outcome(const RunResult& result);

} // namespace pb::harness
