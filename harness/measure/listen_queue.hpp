#pragma once
// How many connections wait in the accept queue of the server's listening
// socket(s): the kernel completed their handshake but no worker accepted them.
#include <cstdint>
#include <optional>
#include <vector>

namespace pb::harness {

// The listening socket's accept queue on the server port (listen_queue.cpp):
// connections the kernel completed but no worker accepted.
struct ListenQueue {
    bool sampled = false; // false: the queue could not be read, the figures mean nothing
    int max = 0;    // largest length seen during the measured run
    int at_end = 0; // length at the end of the measured run
    // The median over the samples: connections that waited for most of the
    // run, not a burst at its start or the closing at its end.
    int median = 0;
};

// The queue over a run: sample() on every tick of the server's sampler,
// queue() after the last.
class ListenQueueSampler {
public:
    explicit ListenQueueSampler(std::uint16_t port) : port_(port) {}
    // Throws when nothing listens on the port (the server is gone) or the
    // queue cannot be read.
    void sample();
    // max, the last length and the median of the samples; sampled = false
    // when there was none.
    ListenQueue queue() const;

private:
    std::uint16_t port_;
    std::vector<int> lengths_;
};

// The summed accept-queue length of the LISTEN sockets on local port `port`
// (several with SO_REUSEPORT, or one per address family) in this network
// namespace; empty when nothing listens on the port. Asks the kernel through
// sock_diag netlink, and reads /proc/net/tcp{,6} where that is not available.
// Throws (naming the call) when neither can be read.
std::optional<int> listen_queue_length(std::uint16_t port);

// The two ways, each on its own (listen_queue_length picks one).
//
// sock_diag asked for listening sockets only: the kernel never walks its
// table of established connections, so the cost does not grow with the
// thousands of connections a run holds open.
std::optional<int> listen_queue_length_sock_diag(std::uint16_t port);
// /proc/net/tcp and /proc/net/tcp6: for a LISTEN socket (state 0A) the
// rx_queue column is the accept-queue length. Producing tcp6 makes the kernel
// walk the whole established table, a few ms with 10k connections open.
std::optional<int> listen_queue_length_proc(std::uint16_t port);

} // namespace pb::harness
