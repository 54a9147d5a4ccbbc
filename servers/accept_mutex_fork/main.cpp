// Accept-mutex fork: the master creates one listener and forks --workers
// children that take turns accepting under a process-shared mutex.
// --io epoll: nginx's accept_mutex, the holder accepts and every child serves
// many connections from its epoll loop. --io blocking: Apache prefork, one
// connection per process at a time and the delay is a real sleep.
#include <sys/socket.h>

#include "loops/blocking_worker.hpp"
#include "cli/server_main.hpp"
#include "loops/epoll_worker.hpp"
#include "process/forking_server.hpp"
#include "common/process_mutex.hpp"
#include "common/shared_memory.hpp"
#include "common/socket.hpp"
#include "common/system_error.hpp"

namespace {

constexpr const char* model = "accept-mutex-fork";

class MutexGate final : public pb::AcceptGate {
public:
    explicit MutexGate(pb::ProcessMutex& mutex) : mutex_(mutex) {}
    bool try_acquire() override { return mutex_.try_lock(); }
    void release() override { mutex_.unlock(); }

private:
    pb::ProcessMutex& mutex_;
};

// The blocking children share the listener's file status flags, so the
// master makes it blocking once, with a receive timeout that bounds accept.
void make_blocking(int fd) {
    pb::set_nonblocking(fd, false);
    timeval timeout{0, static_cast<suseconds_t>(
                           std::chrono::duration_cast<std::chrono::microseconds>(pb::stop_check_interval).count())};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0)
        pb::throw_system_error("setsockopt SO_RCVTIMEO", "listener");
}

int serve(const pb::ServerOptions& options, bool blocking) {
    pb::Fd listener = pb::open_listener(options.listen, options.listener_options());
    if (blocking) make_blocking(listener.get());
    pb::SharedArray<pb::ProcessMutex> accept_mutex(1);

    auto worker_main = [&](int, pb::WorkerCounters& counters, const std::function<void()>& ready) {
        if (blocking) {
            pb::BlockingWorkerConfig worker{listener.get(), options.handler, options.idle_timeout,
                                            options.header_timeout, &accept_mutex[0]};
            return pb::run_blocking_worker(worker, counters, ready);
        }
        MutexGate gate(accept_mutex[0]);
        pb::EpollWorkerConfig worker = pb::epoll_worker_config(options);
        worker.listen_fd = listener.get();
        worker.gate = &gate;
        return pb::run_epoll_worker(worker, counters, ready);
    };
    return pb::run_forking_server(model, options, pb::bound_endpoint(options.listen, listener.get()), worker_main);
}

} // namespace

int main(int argc, char** argv) {
    std::string io = "epoll";
    const pb::ExtraFlags io_flag = pb::choice_flag(
        "--io", io, "epoll: nginx accept_mutex style; blocking: Apache prefork style, one connection per process",
        {"epoll", "blocking"});
    const char* about = "Accept-mutex fork HTTP server: children share one listener and take turns accepting";
    return pb::server_main(argc, argv, model, about, io_flag,
                           [&](const pb::ServerOptions& options) { return serve(options, io == "blocking"); });
}
