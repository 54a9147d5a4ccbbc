#include "threadpool/server.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <latch>
#include <memory>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>

#include "common/socket.hpp"
#include "common/system_error.hpp"
#include "stats/allocation_count.hpp"
#include "threadpool/worker_state.hpp"

namespace pb::threadpool {
namespace {

// Long enough for file descriptors or buffers to come back, short enough
// not to be noticed; a full accept queue waits in the kernel meanwhile.
constexpr std::chrono::milliseconds accept_backoff{100};
// How often pooled buffers that nobody needed are handed back (the epoll
// worker does it in its sweep, at the same interval).
constexpr std::chrono::milliseconds trim_interval{250};

// The protocol of a socket we did not open ourselves.
tcp protocol_of(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        throw_system_error("getsockname", "listener");
    return address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
}

// Errors that concern one connection that died in the queue (see accept(2)):
// the next accept may well succeed at once.
bool is_transient(const error_code& error) {
    if (error.category() != boost::system::system_category()) return false;
    switch (error.value()) {
    case ECONNABORTED: case EPROTO: case EINTR: case EAGAIN: case EPERM:
    case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN: case ENONET:
    case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
        return true;
    default:
        return false;
    }
}

} // namespace

Server::Server(const ServerOptions& options)
    : options_(options),
      connection_config_{options.handler, options.idle_timeout, options.header_timeout, &pool_},
      counters_(static_cast<std::size_t>(options.workers)),
      registry_([this] { io_.stop(); }),
      io_(options.workers),
      strand_(asio::make_strand(io_)),
      acceptor_(strand_),
      accept_backoff_(strand_),
      drain_timer_(strand_),
      trim_timer_(strand_),
      signals_(strand_, SIGINT, SIGTERM, SIGUSR1) {
    Fd listener = open_listener(options_.listen, options_.listener_options());
    endpoint_ = Endpoint{options_.listen.host, local_port(listener.get())};
    acceptor_.assign(protocol_of(listener.get()), listener.get());
    listener.release(); // the acceptor owns it now
    for (WorkerCounters& slot : counters_) slot.pid = ::getpid();
}

Server::~Server() { registry_.detach(); }

void Server::run() {
    accept();
    wait_for_signal();
    trim_buffers();

    const auto workers = static_cast<std::ptrdiff_t>(counters_.size());
    std::latch started(workers);
    std::vector<std::thread> threads;
    threads.reserve(counters_.size());
    try {
        for (int i = 0; i < workers; ++i)
            threads.emplace_back([this, i, &started] {
                bind_worker_slot(counters_[static_cast<std::size_t>(i)]);
                started.count_down();
                run_io_thread(i);
            });
    } catch (...) {
        io_.stop();
        started.count_down(workers - static_cast<std::ptrdiff_t>(threads.size()));
        for (std::thread& thread : threads) thread.join();
        throw;
    }
    started.wait();
    announce_ready("threadpool", endpoint_, options_.workers);

    for (std::thread& thread : threads) thread.join();
    registry_.detach();
    if (failed_) throw std::runtime_error("an io thread failed (see above)");
}

void Server::run_io_thread(int index) {
    try {
        io_.run();
    } catch (const std::exception& error) {
        // A bug, not a client's doing: report it and stop rather than serve on
        // with one thread fewer.
        std::cerr << "threadpool: io thread " << index << ": " << error.what() << '\n';
        failed_ = true;
        io_.stop();
    }
}

void Server::accept() {
    // Each connection gets a strand of its own; the handler runs on ours.
    acceptor_.async_accept(asio::make_strand(io_),
                           [this](const error_code& error, tcp::socket socket) {
                               on_accept(error, std::move(socket));
                           });
}

void Server::on_accept(const error_code& error, tcp::socket socket) {
    if (stopping_) return; // the socket, if any, closes with it
    if (error) return on_accept_error(error);
    accept(); // keep accepting while this one is set up

    ++worker_counters().connections;
    error_code ignored;
    // Pipelined replies leave in separate writes; Nagle would hold the second
    // one back until the client's delayed ACK.
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection = std::make_shared<Connection>(std::move(socket), connection_config_, registry_);
    if (registry_.add(*connection)) connection->start();
}

void Server::on_accept_error(const error_code& error) {
    if (error == asio::error::operation_aborted) return;
    if (is_transient(error)) return accept();
    // Out of descriptors or memory: the listener stays readable, so retrying
    // at once would spin. Existing connections will free some.
    ++worker_counters().accept_errors;
    accept_log_.note(error.value());
    accept_backoff_.expires_after(accept_backoff);
    accept_backoff_.async_wait([this](const error_code& wait_error) {
        if (!wait_error && !stopping_) accept();
    });
}

void Server::wait_for_signal() {
    signals_.async_wait([this](const error_code& error, int signo) {
        if (error) return;
        if (signo == SIGUSR1) {
            const UncountedAllocations not_serving; // the snapshot and the re-armed wait
            write_snapshot();
            return wait_for_signal();
        }
        if (stopping_) return io_.stop(); // a second signal cuts the drain short
        shut_down();
        wait_for_signal();
    });
}

// SIGUSR1: the counters so far. The slots are Counters, safe to read while
// the other threads write them. A failure is reported; serving goes on.
void Server::write_snapshot() const {
    if (options_.stats_path.empty()) return;
    try {
        write_stats_csv(options_.stats_path, counters_);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "threadpool: counters snapshot: %s\n", error.what());
    }
}

void Server::trim_buffers() {
    trim_timer_.expires_after(trim_interval);
    trim_timer_.async_wait([this](const error_code& error) {
        if (error || stopping_) return;
        const UncountedAllocations not_serving; // the re-armed wait
        pool_.trim();
        trim_buffers();
    });
}

void Server::shut_down() {
    stopping_ = true;
    trim_timer_.cancel();
    error_code ignored;
    acceptor_.close(ignored);
    accept_backoff_.cancel();
    drain_timer_.expires_after(options_.drain_timeout);
    drain_timer_.async_wait([this](const error_code& error) {
        if (!error) io_.stop(); // what is still in flight is abandoned
    });
    registry_.stop_all(); // stops the io_context once the last connection is gone
}

} // namespace pb::threadpool
