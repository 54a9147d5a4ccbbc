#pragma once
// The inside of the epoll worker (epoll_worker.hpp), shared by its two
// source files: epoll_worker.cpp (the loop: events, accepting, timers,
// draining) and epoll_connection.cpp (one connection's reads, replies and
// close). Not for use elsewhere.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <sys/epoll.h>
#include <vector>

#include "common/fd.hpp"
#include "http/date_cache.hpp"
#include "http/buffer_pool.hpp"
#include "http/http_session.hpp"
#include "http/io_buffers.hpp"
#include "http/response.hpp"
#include "loops/coarse_clock.hpp"
#include "loops/delay_queue.hpp"
#include "loops/epoll_worker.hpp"
#include "stats/accept_error_log.hpp"

namespace pb::epoll {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often idle, header and linger timeouts are checked.
constexpr milliseconds sweep_interval{250};
// A closing connection is kept this long to read what the client still sends,
// so that close() does not turn into an RST that destroys our last response.
constexpr milliseconds linger_timeout{1000};
// After EMFILE and friends, stop accepting this long instead of spinning.
constexpr milliseconds accept_backoff{100};
constexpr int max_events = 256;

// An idle keep-alive connection is this struct and nothing else (about
// 120 bytes): its buffers come from the worker's pool while it is busy.
struct Connection : DelayLink {
    Fd fd;
    HttpSession session;
    IoBuffers* io = nullptr;       // input, the reply batch and its output; null while idle
    std::uint32_t out_size = 0;    // bytes of io->output to send
    std::uint32_t out_sent = 0;
    bool read_blocked = false;     // stopped reading because the buffer was full
    bool peer_eof = false;         // the client shut its side: answer what it sent, then close
    bool peer_shut = false;        // EPOLLRDHUP seen: read until recv returns 0 to find the end
    bool lingering = false;        // last response sent, write side shut, reading until EOF
    bool close_after_write = false;
    bool silent = true;            // no byte yet since accept: the header timeout runs from accept
    CoarseClock::time_point since; // accepted, request started, response sent or linger began
    std::size_t index = 0;         // position in Worker::open_

    bool waiting() const { return queued(); }
    bool writing() const { return out_sent < out_size; }
    bool in_flight() const { return waiting() || writing(); }
};

// epoll tags for the non-connection descriptors.

inline char listener_tag, signal_tag, stop_tag, delay_tag, sweep_tag;


class Worker {
public:
    Worker(const EpollWorkerConfig& config, WorkerCounters& counters) : config_(config), counters_(counters) {}
    int run(const std::function<void()>& ready);

private:
    void setup();
    void watch(int fd, void* tag, std::uint32_t events);
    void unwatch(int fd);
    void set_accepting(bool on);
    void update_gate();
    void dispatch(const epoll_event& event);

    enum class ReadResult { ok, failed };

    Connection& open_connection(int fd);
    void close(Connection& c);
    void accept_all();
    void on_connection_event(Connection& c, std::uint32_t events);
    ReadResult read_some(Connection& c);
    bool take_buffers(Connection& c);
    void release_if_idle(Connection& c);
    void advance(Connection& c);
    bool send_batch(Connection& c);
    bool send_alone(Connection& c, const Reply& reply);
    bool flush(Connection& c);
    void start_linger(Connection& c);

    void fire_delays();
    void sweep();
    void begin_drain();
    bool has_pending_input(const Connection& c) const;
    bool drained() const { return open_.empty(); }

    const EpollWorkerConfig& config_;
    WorkerCounters& counters_;
    Fd epoll_, signals_, delay_timer_, sweep_timer_;
    DelayQueue delays_;
    BufferPool pool_;
    DateCache date_;
    std::vector<Connection*> open_;
    std::vector<std::unique_ptr<Connection>> free_;
    char linger_sink_[4096];        // discarded input of lingering connections
    bool accepting_ = false;       // listener registered in epoll
    bool holding_gate_ = false;
    bool stopping_ = false;
    Clock::time_point accept_paused_until_{};
    AcceptErrorLog accept_log_{"worker"};
    Clock::time_point drain_deadline_{};
};

} // namespace pb::epoll
