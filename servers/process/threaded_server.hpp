#pragma once
// The control for prefork: the same epoll workers as the forking servers,
// run as --workers threads of one process (prefork-epoll --as threads). The
// main thread owns the process: it starts the pauser, takes SIGTERM, SIGINT
// and SIGUSR1 through a signalfd, prints the ready line once every thread
// accepts, tells the threads to drain through an eventfd and writes the
// stats file, one row per thread with the process's pid.
#include <functional>
#include <string_view>

#include "cli/command_line.hpp"
#include "stats/worker_counters.hpp"

namespace pb {

// Runs in each worker thread: serve with `counters` as this thread's slot,
// drain once `stop_fd` is readable (EpollWorkerConfig::stop_fd), call
// `ready()` once accepting, return when drained.
using ThreadWorker =
    std::function<int(int slot, WorkerCounters& counters, int stop_fd, const std::function<void()>& ready)>;

// Returns the process's exit code: 0 after SIGTERM or SIGINT, 1 when a
// thread failed (it is reported on stderr; the others are stopped). `bound`
// is the listening address with the real port, for the ready line.
int run_threaded_server(std::string_view model, const ServerOptions& options, const Endpoint& bound,
                        const ThreadWorker& worker);

} // namespace pb
