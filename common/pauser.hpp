#pragma once
// A stop-the-world pause of the calling process (--pause P/T): a small child,
// the pauser, sends its parent SIGSTOP, waits P, sends SIGCONT, once every T
// on absolute CLOCK_MONOTONIC deadlines. Every thread of the parent stops at
// once, as in a garbage collector's pause or a VM's steal; each process that
// serves has its own pauser and its own random phase, so that the pauses of
// partitioned workers do not line up.
//
// It lives here, below every server layer, because every model starts one:
// the forking servers in each worker, the single-process servers once.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "common/fd.hpp"

namespace pb {

struct PauseSchedule {
    std::chrono::nanoseconds pause{0};  // P: how long each stop lasts
    std::chrono::nanoseconds period{0}; // T: one stop every T; 0: none

    bool enabled() const { return period > std::chrono::nanoseconds::zero(); }
};

// "5ms/100ms": two durations (units.hpp) with 0 < P < T; nothing otherwise.
std::optional<PauseSchedule> parse_pause_schedule(std::string_view text);

// "5ms/100ms", or "off" for a schedule that is not enabled.
std::string format_pause_schedule(const PauseSchedule& schedule);

// Owns the calling process's pauser. Start it from the thread that lives as
// long as the process, before the process has other threads: the child is
// forked, and PR_SET_PDEATHSIG fires when the thread that forked it ends.
class Pauser {
public:
    Pauser() = default; // no pauser
    Pauser(Pauser&& other) noexcept;
    Pauser& operator=(Pauser&& other) noexcept;
    ~Pauser() { stop(); }

    // Forks the pauser (nothing when `schedule` is not enabled) and returns
    // once it is in place. Throws naming the call that failed.
    static Pauser start(const PauseSchedule& schedule);

    pid_t pid() const { return pid_; }

    // Ends the pauser and reaps it. It first continues its parent if it had
    // just stopped it, so the caller never stays stopped. Idempotent.
    void stop();

private:
    Pauser(pid_t pid, Fd control) : pid_(pid), control_(std::move(control)) {}

    pid_t pid_ = -1;
    Fd control_; // our end of a socket pair: closing it tells the pauser to exit
};

} // namespace pb
