#pragma once
// Nothing outlives the harness, even a SIGKILL of it. Its children get
// PR_SET_PDEATHSIG, but a peer's own children do not, and a daemon leaves its
// group. So the harness forks a watchdog at start: it reads a pipe from the
// harness and, when the pipe ends (the harness exited or was killed), kills
// the process groups the harness announced and every process that carries
// one of its run markers (run_marker.hpp), then exits.
//
// The watchdog is a fork without exec: start it before any thread exists. It
// keeps the descriptors the harness had then, the run lock's among them, so
// the next harness waits until the cleanup is over.
#include <sys/types.h>

#include "common/fd.hpp"

namespace pb::harness {

class Watchdog {
public:
    // Forks the watchdog for this process; throws naming the call that failed.
    Watchdog();
    // Ends the pipe: the watchdog cleans up what is left and exits; waits
    // for it (it is our child).
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    pid_t pid() const { return pid_; }

    // The watchdog kills this process group if the harness dies; forget()
    // once the group is known to be empty (its ID may then be reused).
    void watch(pid_t group);
    void forget(pid_t group);

private:
    void send(char what, pid_t group);

    pid_t pid_ = -1;
    Fd pipe_;
};

// The watchdog of this process, for the launchers; null when there is none
// (unit tests, --dry-run).
Watchdog* current_watchdog();
// Calls watch() or forget() on the current watchdog, if any.
void watch_group(pid_t group);
void forget_group(pid_t group);

// A process group the current watchdog kills if the harness dies, until
// release() (call it once the group is known to be empty: its ID may be
// reused after) or the destructor. Declare it after the process it names.
class WatchedGroup {
public:
    explicit WatchedGroup(pid_t group) : group_(group) { watch_group(group_); }
    ~WatchedGroup() { release(); }
    WatchedGroup(const WatchedGroup&) = delete;
    WatchedGroup& operator=(const WatchedGroup&) = delete;

    void release() {
        if (group_ > 0) forget_group(group_);
        group_ = 0;
    }

private:
    pid_t group_;
};

} // namespace pb::harness
