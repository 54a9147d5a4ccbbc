#pragma once
// The master side that both forking servers share: per-worker counters in
// shared memory, the ready line, respawn counts and the stats file (at exit
// and on SIGUSR1), around the supervisor; and each worker's pauser (--pause).
#include <functional>
#include <string_view>

#include "cli/command_line.hpp"
#include "stats/worker_counters.hpp"
#include "loops/epoll_worker.hpp"

namespace pb {

// Runs in each forked child: serve with `counters` as this worker's slot,
// call `ready()` once accepting, return the exit code.
using ForkedWorker = std::function<int(int slot, WorkerCounters& counters, const std::function<void()>& ready)>;

// Returns the master's exit code. `bound` is the listening address with the
// real port, for the ready line.
int run_forking_server(std::string_view model, const ServerOptions& options, const Endpoint& bound,
                       const ForkedWorker& worker);

// The epoll worker's settings from the common flags (listener and gate left
// to the caller).
EpollWorkerConfig epoll_worker_config(const ServerOptions& options);

} // namespace pb
