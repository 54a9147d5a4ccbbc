#pragma once
// The thread-pool model: one process, one acceptor, one io_context run by
// `workers` threads. Accepting, signals and shutdown run on one strand; each
// connection runs on a strand of its own.
#include <atomic>
#include <span>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "threadpool/connection.hpp"
#include "cli/command_line.hpp"
#include "stats/accept_error_log.hpp"
#include "stats/worker_counters.hpp"
#include "threadpool/registry.hpp"

namespace pb::threadpool {

class Server {
public:
    // Opens the listener; throws std::system_error naming the failed call.
    explicit Server(const ServerOptions& options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Serves until SIGTERM or SIGINT and the drain are over; announces
    // readiness once accepting. Throws if an io thread failed.
    void run();

    // One slot per io thread; read them only after run() returned.
    std::span<const WorkerCounters> counters() const { return counters_; }

private:
    void run_io_thread(int index);
    void accept();
    void on_accept(const error_code& error, tcp::socket socket);
    void on_accept_error(const error_code& error);
    void wait_for_signal();
    void write_snapshot() const;
    void trim_buffers();
    void shut_down();

    ServerOptions options_;
    SharedBufferPool pool_; // before everything that may still hold a connection
    ConnectionConfig connection_config_;
    std::vector<WorkerCounters> counters_;
    // Declared before the io_context so that it outlives the connections the
    // io_context's destructor may still release.
    ConnectionRegistry registry_;
    asio::io_context io_;
    asio::strand<asio::io_context::executor_type> strand_;
    tcp::acceptor acceptor_;
    asio::steady_timer accept_backoff_;
    AcceptErrorLog accept_log_{"threadpool"}; // on the acceptor's strand only
    asio::steady_timer drain_timer_;
    asio::steady_timer trim_timer_;
    asio::signal_set signals_;
    Endpoint endpoint_;      // the listen address with the real port
    bool stopping_ = false;  // on strand_
    std::atomic<bool> failed_{false};
};

} // namespace pb::threadpool
