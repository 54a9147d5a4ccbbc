#pragma once
// One client connection: a socket on its own strand, the shared HttpSession
// for the protocol, an asio timer for the delay and one for the idle and
// header timeouts. Every handler runs on the strand, so the state below
// needs no lock; the registry's stop() is the only call from elsewhere.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list_hook.hpp>
#include <boost/system/error_code.hpp>

#include "http/handler.hpp"
#include "http/http_session.hpp"
#include "http/response.hpp"

namespace pb::threadpool {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

class ConnectionRegistry;

struct ConnectionConfig {
    HandlerConfig handler;
    std::chrono::nanoseconds idle_timeout{0};   // zero or less: none
    std::chrono::nanoseconds header_timeout{0}; // zero or less: none
};

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
    bool feed();
    void wait_for_request();
    void read();
    void on_read(const error_code& error, std::size_t bytes);
    void on_delay(const error_code& error);
    void send();
    void on_write(const error_code& error, std::size_t bytes);
    void linger();
    void on_linger_read(const error_code& error, std::size_t bytes);

    void set_deadline(std::chrono::nanoseconds timeout);
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
    std::uint64_t timer_generation_ = 0; // tells a stale timer completion from the live one
    Reply reply_;
    bool reading_ = false;     // a read is outstanding
    bool into_lookahead_ = false; // ... and it reads into lookahead_, not the session
    bool busy_ = false;        // reply_ is being waited for or written
    bool head_started_ = false; // the header timeout runs for the buffered partial head
    bool silent_ = true;        // no byte yet since accept: the header timeout runs from accept
    bool timer_armed_ = false;
    bool peer_eof_ = false;    // the client shut its side: answer what it sent, then close
    bool lingering_ = false;   // last reply sent, our side shut, reading until the client closes
    bool stopping_ = false;
    bool closed_ = false;

    // Neither is value-initialised: the buffers need no zeroing.
    HttpSession session_;
    // Bytes that arrive while a reply is pending wait here: feeding the
    // session calls free_space(), which may compact its buffer, so no read
    // may be outstanding into it then. The lookahead is what keeps a read outstanding while a
    // request waits, so that a client that resets is noticed at once.
    std::array<char, 4096> lookahead_;
    std::size_t lookahead_begin_ = 0;
    std::size_t lookahead_end_ = 0;
    std::array<char, max_response_size> response_;
};

} // namespace pb::threadpool
