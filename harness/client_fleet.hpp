#pragma once
// The clients of a run across hosts: every generator process (on this
// machine or on a client host over SSH) started through pb-remote run at one
// agreed moment (the start barrier: a wall-clock time, shifted by each
// host's measured clock offset), waited for together, sampled on their own
// hosts, and their outputs fetched into raw/. A host that drops out, or a
// process that fails, fails the run naming it.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/child_process.hpp"
#include "measure/process_usage.hpp"
#include "measure/tree_sampler.hpp"
#include "remote/remote_hosts.hpp"

namespace pb::harness {

struct FleetMember {
    std::string name;                     // "local#1", "ssh://root@198.18.0.3#2"
    RemoteHost* host = nullptr;           // nothing: this machine
    std::string program = "prefork-load"; // what argv runs, for messages
    std::vector<std::string> argv;        // the generator's command, paths as on its host
    std::vector<std::string> env;         // NAME=VALUE added to its environment
    std::vector<int> cpus;                // this machine only: where it may run
    std::filesystem::path remote_report;  // where it writes its report: on its host (remote), or `report`
    std::filesystem::path report;         // raw/: where its report ends up; empty: it writes none
    std::filesystem::path stdout_file, stderr_file; // raw/
};

struct FleetOutcome {
    ProcessUsage usage;          // every member's tree over its life, summed
    SamplingCost sampling;       // what sampling them cost, on their hosts
    double start_skew_ms = 0;    // latest − earliest start, on this machine's clock
    std::vector<nlohmann::json> reports; // each member's report, in order (null: it writes none)
    std::vector<std::optional<ProcessUsage>> usages; // each member's tree, in order (none: not sampled)
    std::vector<std::string> problems;   // what went wrong in measuring (the run is suspect), a sentence each
    double clock_uncertainty_ms = 0;     // the largest of the members' hosts' offset uncertainties
};

class ClientFleet {
public:
    // local_pb_remote: this build's pb-remote (local members run through it
    // too, for the same barrier); marker: NAME=VALUE for local members
    // (the watchdog's), remote_marker for the others.
    ClientFleet(std::vector<FleetMember> members, std::filesystem::path local_pb_remote, std::string marker,
                std::string remote_marker);
    ~ClientFleet();

    // Starts every member to begin at the same moment, lead time from now.
    void start();
    // Until every member has ended; on the limit or an interrupt every member
    // is stopped and this throws (Interrupted-like: std::runtime_error).
    void wait(std::chrono::nanoseconds limit, const std::atomic<bool>* interrupted);
    // After wait(): each member's exit checked, its report fetched and read.
    FleetOutcome collect();

private:
    void stop_all();

    std::vector<FleetMember> members_;
    std::filesystem::path local_pb_remote_;
    std::string marker_, remote_marker_;
    std::vector<std::unique_ptr<ChildProcess>> processes_;
    std::optional<std::size_t> failed_; // the member that ended badly first (the others were stopped for it)
};

} // namespace pb::harness
