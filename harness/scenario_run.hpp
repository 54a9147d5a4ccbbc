#pragma once
// A whole scenario: plan its runs, check the machine, run each in turn
// while rewriting the results files after every run, then meta.json and the
// summary. `prefork-bench run` is this with its flags.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

namespace pb::harness {

struct ScenarioOptions {
    std::filesystem::path scenario;
    std::filesystem::path out = "results";
    int repetitions = 0;             // 0: the scenario's
    std::string duration;            // empty: the scenario's
    std::uint64_t requests = 0;      // open loop: requests per run; 0: the scenario's
    bool dry_run = false;
    std::filesystem::path build_dir; // empty: the build tree this binary is in
    std::filesystem::path wrk_script;
    std::filesystem::path peers_dir; // empty: the source tree's peers/
    std::filesystem::path lock_file; // empty: guard/run_lock.hpp's default
    bool no_wait = false;            // refuse at once when another harness runs
    bool kill_leftovers = false;     // end an earlier harness's leftovers instead of refusing
};

// The build tree this binary is in (its harness/ directory's parent).
std::filesystem::path default_build_dir();

// 0 when every run succeeded, 1 when one failed or was suspect or the
// summary could not be written (the results stay), and throws on a bad
// scenario or machine, or when the machine is taken (another harness with
// no_wait, leftovers without kill_leftovers).
int run_scenario(const ScenarioOptions& options, const std::atomic<bool>& interrupted);

} // namespace pb::harness
