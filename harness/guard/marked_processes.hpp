#pragma once
// Finding a harness's processes in /proc: by process group, or by the run
// marker in their environment (run_marker.hpp), which survives a setsid.
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace pb::harness {

struct MarkedProcess {
    pid_t pid = 0;
    std::string command; // from /proc/PID/cmdline, spaces between arguments
};

// Living processes (zombies excluded) in process group `group` or whose
// environment holds the entry `marker` ("NAME=value"); never this process.
std::vector<MarkedProcess> processes_of_run(pid_t group, std::string_view marker);

// Living processes with an environment entry that starts with `prefix`
// ("NAME=" finds every value of a marker); never this process.
std::vector<MarkedProcess> processes_with_entry_prefix(std::string_view prefix);

// Living processes carrying any run marker of the harness `harness`.
std::vector<MarkedProcess> processes_of_harness(pid_t harness);

// Living processes carrying a run marker of a harness that is gone (its PID
// is not a living prefork-bench): what an earlier harness left behind.
std::vector<MarkedProcess> processes_of_gone_harnesses();

// "PID (command), PID (command)".
std::string describe(const std::vector<MarkedProcess>& processes);

} // namespace pb::harness
