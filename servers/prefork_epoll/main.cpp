// Prefork: a master forks --workers children, each with its own epoll loop.
// With --listener reuseport (the default) every child opens its own
// SO_REUSEPORT listener and the kernel spreads connections over them; with
// --listener shared the children inherit one listener created before fork,
// as fasthttp's prefork does by default. --as threads runs the same workers
// as threads of one process instead: the control that tells partitioned
// queues apart from partitioned processes.

#include "cli/server_main.hpp"
#include "loops/epoll_worker.hpp"
#include "process/forking_server.hpp"
#include "process/threaded_server.hpp"
#include "common/socket.hpp"

namespace {

constexpr const char* model = "prefork-epoll";

struct ModelFlags {
    std::string listener = "reuseport";
    std::string as = "processes";
};

int serve(const pb::ServerOptions& options, const ModelFlags& flags) {
    const bool reuseport = flags.listener == "reuseport";
    pb::ListenerOptions listener = options.listener_options();
    listener.reuseport = reuseport;
    // With reuseport the master only binds (never listens): that resolves
    // port 0 and holds the port across respawns, and a socket that does not
    // listen is never handed a connection.
    pb::ListenerOptions master_socket = listener;
    master_socket.listen = !reuseport;
    pb::Fd shared = pb::open_listener(options.listen, master_socket);
    const pb::Endpoint bound = pb::bound_endpoint(options.listen, shared.get());
    const pb::EpollWorkerConfig worker = pb::epoll_worker_config(options);

    if (flags.as == "threads") {
        // The bound socket stays with the process (it holds the port); each
        // thread gets a copy of the settings and, with reuseport, its own listener.
        auto thread = [&](int, pb::WorkerCounters& counters, int stop_fd, const std::function<void()>& ready) {
            pb::EpollWorkerConfig config = worker;
            config.stop_fd = stop_fd;
            pb::Fd own;
            if (reuseport) {
                own = pb::open_listener(bound, listener);
                config.leave_listener = [&own] { own.reset(); };
            }
            config.listen_fd = reuseport ? own.get() : shared.get();
            return pb::run_epoll_worker(config, counters, ready);
        };
        return pb::run_threaded_server(model, options, bound, thread);
    }
    auto child = [&](int, pb::WorkerCounters& counters, const std::function<void()>& ready) {
        pb::EpollWorkerConfig config = worker;
        pb::Fd own;
        if (reuseport) {
            shared.reset();
            own = pb::open_listener(bound, listener);
            config.leave_listener = [&own] { own.reset(); };
        }
        config.listen_fd = reuseport ? own.get() : shared.get();
        return pb::run_epoll_worker(config, counters, ready);
    };
    return pb::run_forking_server(model, options, bound, child);
}

} // namespace

int main(int argc, char** argv) {
    ModelFlags flags;
    const pb::ExtraFlags listener_flag = pb::choice_flag(
        "--listener", flags.listener,
        "reuseport: one SO_REUSEPORT listener per worker; shared: one listener created before fork (or before "
        "the threads)",
        {"reuseport", "shared"});
    const pb::ExtraFlags as_flag = pb::choice_flag(
        "--as", flags.as,
        "processes: --workers forked children; threads: --workers threads of one process, each with its own "
        "epoll loop (the same worker), one pauser and one --critical-section mutex for all",
        {"processes", "threads"});
    const auto model_flags = [&](CLI::App& app) {
        listener_flag(app);
        as_flag(app);
    };
    return pb::server_main(argc, argv, model,
                           "Prefork HTTP server: one epoll worker process per CPU, each with its own listener",
                           model_flags, [&](const pb::ServerOptions& options) { return serve(options, flags); });
}
