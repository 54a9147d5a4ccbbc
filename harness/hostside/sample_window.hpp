#pragma once
// pb-remote sample: the process tree of a PID on this host, sampled from
// now until stdin closes (the harness ends the window by closing the SSH
// channel's stdin), as the harness samples a local server. Prints
//   pb-remote: sampling                    (the window has started)
// then, at its end, one JSON line: {"usage": ..., "cost": ..., "error": ""}
// (measure/usage_json.hpp).
#include <chrono>
#include <sys/types.h>

namespace pb::hostside {

int sample_window(pid_t root, std::chrono::milliseconds interval);

} // namespace pb::hostside
