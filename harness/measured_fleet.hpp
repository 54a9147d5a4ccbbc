#pragma once
// A run's clients (client_fleet.hpp) measured: started together and waited
// for while the server's process tree is sampled over their window, on the
// server's host by pb-remote sample (a remote server) or here
// (tree_sampler.hpp, with the listen queue). What prefork-load's and wrk's
// fleets share.
#include <chrono>
#include <vector>

#include "client_fleet.hpp"
#include "launch/launched_server.hpp"
#include "results/run_result.hpp"
#include "runner.hpp"

namespace pb::harness {

// A member for each client process of the scenario (Hosts::client_process_list),
// in order: its name, its host, its raw/ files (run-NNN-client-K-PREFIXstdout.txt
// and ...stderr.txt; with a `report` name, run-NNN-client-K-REPORT, written
// as remote_report: the same name in the hosts' remote_dir, or that file
// here) and, on this machine, wrk's CPUs. Its command is the caller's.
std::vector<FleetMember> fleet_members(const RunContext& context, int run, const std::string& prefix,
                                       const std::string& report);

// The members as one fleet, carrying run `run`'s markers here and on the hosts.
ClientFleet fleet_of(const RunContext& context, int run, std::vector<FleetMember> members);

// Runs the members to their end (within limit) inside the server's window.
// Fills result's client commands (and wrk_command: the first's), the round
// trip between clients and server, the server's and the clients' usage, the
// sampling's cost, the listen queue (a server here), the start skew, and
// marks it suspect for each measuring problem. Throws as ClientFleet does.
FleetOutcome run_measured_fleet(const RunContext& context, LaunchedServer& server, int run,
                                std::vector<FleetMember> members, std::chrono::nanoseconds limit, RunResult& result);

// The shortest client-server round trip of these members: a client host's
// link to this machine (the harness's host_link), else the server host's
// link for a client here; 0 with client and server both here. (The rig and
// a lab's star network put every host one hop from the others; a client
// host's own link to a remote server is not measured.)
double shortest_round_trip(const std::vector<FleetMember>& members, const LaunchedServer& server);

} // namespace pb::harness
