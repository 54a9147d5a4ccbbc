// Prefork: a master forks --workers children, each with its own epoll loop.
// With --listener reuseport (the default) every child opens its own
// SO_REUSEPORT listener and the kernel spreads connections over them; with
// --listener shared the children inherit one listener created before fork,
// as fasthttp's prefork does by default.

#include "cli/server_main.hpp"
#include "loops/epoll_worker.hpp"
#include "process/forking_server.hpp"
#include "common/socket.hpp"

namespace {

constexpr const char* model = "prefork-epoll";

int serve(const pb::ServerOptions& options, bool reuseport) {
    pb::ListenerOptions listener = options.listener_options();
    listener.reuseport = reuseport;
    // With reuseport the master only binds (never listens): that resolves
    // port 0 and holds the port across respawns, and a socket that does not
    // listen is never handed a connection.
    pb::ListenerOptions master_socket = listener;
    master_socket.listen = !reuseport;
    pb::Fd shared = pb::open_listener(options.listen, master_socket);
    const pb::Endpoint bound = pb::bound_endpoint(options.listen, shared.get());

    pb::EpollWorkerConfig worker = pb::epoll_worker_config(options);
    auto child = [&](int, pb::WorkerCounters& counters, const std::function<void()>& ready) {
        pb::Fd own;
        if (reuseport) {
            shared.reset();
            own = pb::open_listener(bound, listener);
            worker.listen_fd = own.get();
        } else {
            worker.listen_fd = shared.get();
        }
        return pb::run_epoll_worker(worker, counters, ready);
    };
    return pb::run_forking_server(model, options, bound, child);
}

} // namespace

int main(int argc, char** argv) {
    std::string listener = "reuseport";
    const pb::ExtraFlags listener_flag = pb::choice_flag(
        "--listener", listener,
        "reuseport: one SO_REUSEPORT listener per child; shared: one listener created before fork",
        {"reuseport", "shared"});
    return pb::server_main(
        argc, argv, model, "Prefork HTTP server: one epoll worker process per CPU, each with its own listener",
        listener_flag, [&](const pb::ServerOptions& options) { return serve(options, listener == "reuseport"); });
}
