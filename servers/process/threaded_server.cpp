#include "process/threaded_server.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <exception>
#include <fmt/format.h>
#include <poll.h>
#include <string>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "common/pauser.hpp"
#include "common/signals.hpp"
#include "common/system_error.hpp"

namespace pb {
namespace {

Fd make_eventfd(const char* what) {
    Fd fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!fd) throw_system_error("eventfd", what);
    return fd;
}

void post(int fd, const char* what) {
    const std::uint64_t one = 1;
    if (write(fd, &one, sizeof one) != sizeof one) throw_system_error("write", what);
}

class ThreadedServer {
public:
    ThreadedServer(std::string_view model, const ServerOptions& options, const Endpoint& bound,
                   const ThreadWorker& worker)
        : model_(model), options_(options), bound_(bound), worker_(worker),
          counters_(static_cast<std::size_t>(options.workers)) {}

    int run();

private:
    void start_threads();
    void run_thread(int slot);
    void serve();
    bool take_signals(); // true for SIGTERM/SIGINT
    void request_stop();
    void join_all();
    void write_stats() const;
    void write_snapshot() const;

    std::string model_;
    const ServerOptions& options_;
    Endpoint bound_;
    const ThreadWorker& worker_;
    std::vector<WorkerCounters> counters_;
    std::vector<std::thread> threads_;
    Fd signals_;
    Fd stop_;   // written once: every worker drains
    Fd events_; // a thread became ready or ended: the main thread looks again
    std::atomic<int> ready_{0};
    std::atomic<int> ended_{0};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> failed_{false};
};

int ThreadedServer::run() {
    // Before any thread: one pauser for the one process (common/pauser.hpp).
    const Pauser pauser = Pauser::start(options_.pause);
    // Blocked here, so in every thread started below: the signals reach this
    // thread's signalfd only, never a worker in the middle of a request.
    signals_ = block_into_signalfd({SIGTERM, SIGINT, SIGUSR1});
    stop_ = make_eventfd("stop");
    events_ = make_eventfd("thread events");
    try {
        start_threads();
        serve();
    } catch (...) {
        // std::thread's destructor would terminate with threads still joinable.
        request_stop();
        join_all();
        throw;
    }
    join_all();
    write_stats();
    return failed_ ? 1 : 0;
}

void ThreadedServer::start_threads() {
    threads_.reserve(counters_.size());
    for (int slot = 0; slot < options_.workers; ++slot) threads_.emplace_back([this, slot] { run_thread(slot); });
}

void ThreadedServer::run_thread(int slot) {
    auto& counters = counters_[static_cast<std::size_t>(slot)];
    try {
        const auto ready = [this] {
            ++ready_;
            post(events_.get(), "thread events");
        };
        worker_(slot, counters, stop_.get(), ready);
        if (!stopping_) {
            fmt::print(stderr, "{}: worker thread {} stopped serving unasked\n", model_, slot);
            failed_ = true;
        }
    } catch (const std::exception& error) {
        fmt::print(stderr, "{}: worker thread {}: {}\n", model_, slot, error.what());
        failed_ = true;
    }
    ++ended_;
    try {
        post(events_.get(), "thread events");
    } catch (const std::exception& error) {
        fmt::print(stderr, "{}: worker thread {}: {}\n", model_, slot, error.what());
    }
}

// Until every thread has ended: snapshots on SIGUSR1, the ready line once,
// and a stop on SIGTERM, SIGINT or a failed thread (the others then drain).
void ThreadedServer::serve() {
    bool announced = false;
    while (ended_ < options_.workers) {
        pollfd fds[2] = {{signals_.get(), POLLIN, 0}, {events_.get(), POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw_system_error("poll", "signalfd and thread events");
        }
        if (fds[1].revents & POLLIN) {
            std::uint64_t count = 0;
            if (read(events_.get(), &count, sizeof count) < 0 && errno != EAGAIN)
                throw_system_error("read", "thread events");
        }
        if ((fds[0].revents & POLLIN) && take_signals()) request_stop();
        if (failed_) request_stop();
        if (!announced && !stopping_ && ready_ == options_.workers) {
            announce_ready(model_, bound_, options_.workers);
            announced = true;
        }
    }
}

bool ThreadedServer::take_signals() {
    signalfd_siginfo info{};
    bool stop = false;
    while (read(signals_.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) stop = true;
        if (info.ssi_signo == SIGUSR1) write_snapshot();
    }
    return stop;
}

// Once: a second signal changes nothing, each thread's drain has its own
// deadline (--drain-timeout), as in a forked worker. Reported rather than
// thrown: it also runs while an exception unwinds.
void ThreadedServer::request_stop() {
    if (stopping_.exchange(true)) return;
    try {
        post(stop_.get(), "stop");
    } catch (const std::exception& error) {
        fmt::print(stderr, "{}: {}\n", model_, error.what());
    }
}

void ThreadedServer::join_all() {
    for (std::thread& thread : threads_)
        if (thread.joinable()) thread.join();
}

// The slots are Counters, safe to read while their threads write them.
void ThreadedServer::write_stats() const {
    if (!options_.stats_path.empty()) write_stats_csv(options_.stats_path, counters_);
}

// A failed snapshot is reported, not fatal: the server keeps serving.
void ThreadedServer::write_snapshot() const {
    try {
        write_stats();
    } catch (const std::exception& error) {
        fmt::print(stderr, "{}: counters snapshot: {}\n", model_, error.what());
    }
}

} // namespace

int run_threaded_server(std::string_view model, const ServerOptions& options, const Endpoint& bound,
                        const ThreadWorker& worker) {
    return ThreadedServer(model, options, bound, worker).run();
}

} // namespace pb
