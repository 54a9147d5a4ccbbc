#pragma once
// One client connection: a socket on its own strand, the shared HttpSession
// for the protocol, an asio timer for the delay and one for the idle and
// header timeouts. Every handler runs on the strand, so the state below
// needs no lock; the registry's stop() is the only call from elsewhere.
//
// A new connection waits for its first bytes without buffers (async_wait).
// Once it is busy, reads stay outstanding between requests: Asio's reactor
// then reads as the edge arrives, with no epoll_ctl (but see
// tests/integration/system_call_test.cpp: Asio also reads speculatively).
// A connection idle for park_after gives its buffers back to the pool and
// waits for readability again (async_wait: one epoll_ctl each time it
// parks), so an idle keep-alive connection holds no buffer.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list_hook.hpp>
#include <boost/system/error_code.hpp>

#include "http/buffer_pool.hpp"
#include "http/handler.hpp"
#include "http/http_session.hpp"
#include "http/io_buffers.hpp"

namespace pb::threadpool {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

class ConnectionRegistry;

struct ConnectionConfig {
    HandlerConfig handler;
    std::chrono::nanoseconds idle_timeout{0};   // zero or less: none
    std::chrono::nanoseconds header_timeout{0}; // zero or less: none
    SharedBufferPool* pool = nullptr;            // the server's; outlives every connection
};

// How long an idle connection keeps its buffers before it parks.
inline constexpr std::chrono::seconds park_after{1};

class Connection : public std::enable_shared_from_this<Connection>,
                   public boost::intrusive::list_base_hook<> {
public:
    // `socket` must use a strand of its own as executor.
    Connection(tcp::socket socket, const ConnectionConfig& config, ConnectionRegistry& registry);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void start();
    // Thread-safe: finish the request in progress, then close; close at once
    // if there is none.
    void stop();

private:
    using clock = std::chrono::steady_clock;

    void serve();
    bool take_buffers();
    void wait_for_request();
    void read();
    void on_read(const error_code& error, std::size_t bytes);
    void on_delay(const error_code& error);
    void send();
    void on_write(const error_code& error, std::size_t bytes);
    void linger();
    void on_linger_read(const error_code& error, std::size_t bytes);
    bool may_park() const;
    void park();
    void wait_readable();
    void on_readable(const error_code& error);

    void set_deadline(std::chrono::nanoseconds timeout);
    clock::time_point wake_at() const { return std::min(deadline_, park_at_); }
    void arm_timer();
    void on_deadline(const error_code& error, std::uint64_t generation);
    void on_timeout();

    void begin_stop();
    void close();

    const ConnectionConfig& config_;
    ConnectionRegistry& registry_;
    tcp::socket socket_;
    asio::steady_timer delay_;
    asio::steady_timer deadline_timer_;

    clock::time_point deadline_ = clock::time_point::max(); // max: no timeout applies
    clock::time_point park_at_ = clock::time_point::max();  // max: not idle
    std::uint64_t timer_generation_ = 0; // tells a stale timer completion from the live one
    IoBuffers* io_ = nullptr;  // input, the reply batch and its output; null while parked
    bool reading_ = false;     // a read is outstanding
    bool parking_ = false;     // the outstanding read was cancelled to park
    bool parked_ = false;      // buffers given back, waiting for readability
    bool busy_ = false;        // the batch is being waited for or written
    bool head_started_ = false; // the header timeout runs for the buffered partial head
    bool silent_ = true;        // no byte yet since accept: the header timeout runs from accept
    bool timer_armed_ = false;
    bool peer_eof_ = false;    // the client shut its side: answer what it sent, then close
    bool lingering_ = false;   // last reply sent, our side shut, reading until the client closes
    bool stopping_ = false;
    bool closed_ = false;

    HttpSession session_;
};

} // namespace pb::threadpool
