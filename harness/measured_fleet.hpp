#pragma once
// A run's clients (client_fleet.hpp) measured: started together and waited
// for while the server's process tree is sampled over their window, on the
// server's host by pb-remote sample (a remote server) or here
// (tree_sampler.hpp). What prefork-load's and wrk's fleets share.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "client_fleet.hpp"
#include "common/child_process.hpp"
#include "launch/launched_server.hpp"
#include "measure/tree_sampler.hpp"
#include "results/run_result.hpp"
#include "runner.hpp"

namespace pb::harness {

class ServerWindow {
public:
    // Sampling has begun when this returns; throws if it could not.
    ServerWindow(const RunContext& context, LaunchedServer& server, int run);

    // The usage over the window into `result`; a sampling problem marks it suspect.
    void close(RunResult& result);

private:
    std::optional<TreeSampler> local_;
    std::unique_ptr<ChildProcess> remote_;
    std::string where_;
};

// Runs the members to their end (within limit) inside the server's window.
// Fills result's client commands (and wrk_command: the first's), the
// server's and the clients' usage, the sampling's cost, the start skew, and
// marks it suspect for each measuring problem. Throws as ClientFleet does.
FleetOutcome run_measured_fleet(const RunContext& context, LaunchedServer& server, int run,
                                std::vector<FleetMember> members, std::chrono::nanoseconds limit, RunResult& result);

} // namespace pb::harness
