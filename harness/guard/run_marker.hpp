#pragma once
// Every process a harness starts carries PREFORK_BENCH_RUN=<harness PID>.<run>
// in its environment. The entry survives setsid, daemonizing and a parent's
// death, so it tells which harness a process belongs to after the harness
// itself is gone (leftovers, the watchdog).
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace pb::harness {

inline constexpr std::string_view run_marker_name = "PREFORK_BENCH_RUN";
// On another host the harness's PID says nothing: its marker there is
// PREFORK_BENCH_REMOTE_RUN=<this host's name>.<harness PID>.<run>.
inline constexpr std::string_view remote_marker_name = "PREFORK_BENCH_REMOTE_RUN";

// "PREFORK_BENCH_RUN=<harness>.<run>": one run's processes.
std::string run_marker(pid_t harness, int run);

// The harness PID named by an environment entry "PREFORK_BENCH_RUN=<pid>" or
// "PREFORK_BENCH_RUN=<pid>.<anything>"; nothing for any other entry.
std::optional<pid_t> harness_of_entry(std::string_view entry);

} // namespace pb::harness
