#pragma once
// The master process of the forking servers: forks one child per worker
// slot, waits until every child listens, respawns children that die, and on
// SIGTERM/SIGINT stops them all (drain, then SIGKILL) and reaps every one.
// SIGUSR1 asks for the counters so far (on_snapshot).
#include <chrono>
#include <functional>
#include <string>

namespace pb {

struct SupervisorConfig {
    std::string name;                          // prefixes the master's messages
    int workers = 1;
    std::chrono::nanoseconds drain_timeout{std::chrono::seconds(5)};
    int max_deaths = 10;                       // more deaths than this within
    std::chrono::nanoseconds death_window{std::chrono::seconds(10)}; // this window stop the server
    std::chrono::nanoseconds ready_timeout{std::chrono::seconds(10)};
};

struct SupervisorHooks {
    std::function<void()> on_ready;         // once, when every child first reported ready
    std::function<void(int slot)> on_respawn; // before a dead child's slot is forked again
    std::function<void()> on_exit;          // after every child has been reaped
    std::function<void()> on_snapshot;      // SIGUSR1: write the counters now
};

// Runs in the forked child, with SIGTERM and SIGINT still blocked (the worker
// takes them its own way, without a window in which they would kill it). It
// calls `ready()` once it accepts connections and returns the exit code. The
// kernel kills the child when the master dies (PR_SET_PDEATHSIG).
using ChildMain = std::function<int(int slot, const std::function<void()>& ready)>;

// Returns the master's exit code: 0 after a requested stop, 1 when a child
// failed before it was ready or children died too often.
int supervise(const SupervisorConfig& config, const ChildMain& child_main, const SupervisorHooks& hooks);

} // namespace pb
