#pragma once
// A whole scenario: plan its runs, check the machine, run each in turn
// while rewriting the results files after every run, then meta.json and the
// summary. `prefork-bench run` is this with its flags.
#include <atomic>
#include <filesystem>
#include <string>

namespace pb::harness {

struct ScenarioOptions {
    std::filesystem::path scenario;
    std::filesystem::path out = "results";
    int repetitions = 0;             // 0: the scenario's
    std::string duration;            // empty: the scenario's
    bool dry_run = false;
    std::filesystem::path build_dir; // empty: the build tree this binary is in
    std::filesystem::path wrk_script;
    std::filesystem::path peers_dir; // empty: the source tree's peers/
};

// 0 when every run succeeded, 1 when one failed or the summary could not be
// written (the results stay), and throws on a bad scenario or machine.
int run_scenario(const ScenarioOptions& options, const std::atomic<bool>& interrupted);

} // namespace pb::harness
