#include "process/forking_server.hpp"

#include "common/pauser.hpp"
#include "common/shared_memory.hpp"
#include "process/supervisor.hpp"

namespace pb {

int run_forking_server(std::string_view model, const ServerOptions& options, const Endpoint& bound,
                       const ForkedWorker& worker) {
    SharedArray<WorkerCounters> counters(static_cast<std::size_t>(options.workers));
    auto slot_of = [&](int slot) -> WorkerCounters& { return counters[static_cast<std::size_t>(slot)]; };
    auto write_stats = [&] {
        if (!options.stats_path.empty()) write_stats_csv(options.stats_path, counters.span());
    };
    SupervisorHooks hooks;
    hooks.on_ready = [&] { announce_ready(model, bound, options.workers); };
    hooks.on_respawn = [&](int slot) { ++slot_of(slot).respawns; };
    hooks.on_exit = write_stats;
    hooks.on_snapshot = write_stats;
    SupervisorConfig supervisor{std::string(model), options.workers, options.drain_timeout};
    auto child = [&](int slot, const std::function<void()>& ready) {
        // Each worker process pauses on its own clock (--pause). The pauser
        // is the master's grandchild: the master's waitpid never sees it,
        // and the worker reaps it when it returns.
        const Pauser pauser = Pauser::start(options.pause);
        return worker(slot, slot_of(slot), ready);
    };
    return supervise(supervisor, child, hooks);
}

EpollWorkerConfig epoll_worker_config(const ServerOptions& options) {
    EpollWorkerConfig config;
    config.handler = options.handler;
    config.idle_timeout = options.idle_timeout;
    config.header_timeout = options.header_timeout;
    config.drain_timeout = options.drain_timeout;
    return config;
}

} // namespace pb
