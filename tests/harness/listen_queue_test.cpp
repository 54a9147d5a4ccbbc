#include "measure/listen_queue.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/socket.hpp"

namespace {

using namespace std::chrono_literals;
using Reader = std::optional<int> (*)(std::uint16_t);

// Every test runs with each way of reading the queue.
class ListenQueue : public ::testing::TestWithParam<Reader> {
protected:
    std::optional<int> length(std::uint16_t port) const { return GetParam()(port); }

    // The handshake's last ACK reaches the listener just after connect()
    // returns, so give the queue a moment to settle on the expected length.
    std::optional<int> settled_length(std::uint16_t port, int expected) const {
        std::optional<int> found;
        for (int attempt = 0; attempt < 100; ++attempt) {
            found = length(port);
            if (found == expected) break;
            std::this_thread::sleep_for(10ms);
        }
        return found;
    }
};

class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {
        if (fd_ < 0) throw std::runtime_error("socket call failed: " + std::to_string(errno));
    }
    Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Socket& operator=(Socket&&) = delete;
    ~Socket() { close(); }
    int get() const { return fd_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

// A listener on 127.0.0.1 with a kernel-chosen port.
Socket listener(int backlog, std::uint16_t& port) {
    Socket socket(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in address = pb::loopback_address(0);
    if (bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("bind");
    if (listen(socket.get(), backlog) != 0) throw std::runtime_error("listen");
    socklen_t size = sizeof address;
    if (getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0)
        throw std::runtime_error("getsockname");
    port = ntohs(address.sin_port);
    return socket;
}

Socket connected(std::uint16_t port) {
    Socket socket(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in address = pb::loopback_address(port);
    if (connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw std::runtime_error("connect");
    return socket;
}

TEST_P(ListenQueue, CountsConnectionsNotYetAccepted) {
    std::uint16_t port = 0;
    Socket server = listener(16, port);
    EXPECT_EQ(length(port), 0);

    std::vector<Socket> clients;
    for (int i = 0; i < 3; ++i) clients.push_back(connected(port));
    EXPECT_EQ(settled_length(port, 3), 3);

    Socket accepted(accept(server.get(), nullptr, nullptr));
    EXPECT_EQ(settled_length(port, 2), 2);

    server.close();
    EXPECT_EQ(length(port), std::nullopt);
}

TEST_P(ListenQueue, NoListenerIsEmpty) {
    std::uint16_t port = 0;
    Socket server = listener(4, port);
    server.close(); // the port is now free
    EXPECT_EQ(length(port), std::nullopt);
}

TEST_P(ListenQueue, SumsAReuseportGroup) {
    auto reuseport_listener = [](std::uint16_t& port) {
        Socket socket(::socket(AF_INET, SOCK_STREAM, 0));
        const int on = 1;
        if (setsockopt(socket.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
            throw std::runtime_error("setsockopt");
        sockaddr_in address = pb::loopback_address(port);
        if (bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            throw std::runtime_error("bind");
        if (listen(socket.get(), 16) != 0) throw std::runtime_error("listen");
        socklen_t size = sizeof address;
        if (getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0)
            throw std::runtime_error("getsockname");
        port = ntohs(address.sin_port);
        return socket;
    };
    std::uint16_t port = 0;
    Socket first = reuseport_listener(port);
    Socket second = reuseport_listener(port);
    // The kernel spreads the connections over the group by a hash: only the sum is known.
    std::vector<Socket> clients;
    for (int i = 0; i < 6; ++i) clients.push_back(connected(port));
    EXPECT_EQ(settled_length(port, 6), 6);
}

TEST_P(ListenQueue, SeesListenersPastManyEstablishedConnections) {
    // Established sockets are listed after the listeners; the reader stops at
    // the first of them, which must not hide a listener.
    std::uint16_t busy_port = 0;
    Socket busy = listener(256, busy_port);
    std::vector<Socket> clients;
    for (int i = 0; i < 200; ++i) clients.push_back(connected(busy_port));
    std::uint16_t port = 0;
    Socket late = listener(16, port);
    std::vector<Socket> late_clients;
    late_clients.push_back(connected(port));
    EXPECT_EQ(settled_length(port, 1), 1);
    EXPECT_EQ(settled_length(busy_port, 200), 200);
}

TEST_P(ListenQueue, CountsAnIpv6Listener) {
    Socket server(::socket(AF_INET6, SOCK_STREAM, 0));
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    if (bind(server.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        GTEST_SKIP() << "no IPv6 loopback here";
    ASSERT_EQ(listen(server.get(), 16), 0);
    socklen_t size = sizeof address;
    ASSERT_EQ(getsockname(server.get(), reinterpret_cast<sockaddr*>(&address), &size), 0);
    Socket client(::socket(AF_INET6, SOCK_STREAM, 0));
    ASSERT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(settled_length(ntohs(address.sin6_port), 1), 1);
}

TEST(ListenQueueChoice, AgreesWithProc) {
    std::uint16_t port = 0;
    Socket server = listener(16, port);
    Socket client = connected(port);
    std::optional<int> chosen, proc;
    for (int attempt = 0; attempt < 100 && chosen != 1; ++attempt) {
        std::this_thread::sleep_for(10ms);
        chosen = pb::harness::listen_queue_length(port);
        proc = pb::harness::listen_queue_length_proc(port);
    }
    EXPECT_EQ(chosen, 1);
    EXPECT_EQ(proc, 1);
}

INSTANTIATE_TEST_SUITE_P(ListenQueue, ListenQueue,
                         ::testing::Values(&pb::harness::listen_queue_length_sock_diag,
                                           &pb::harness::listen_queue_length_proc),
                         [](const ::testing::TestParamInfo<Reader>& param) {
                             return param.param == &pb::harness::listen_queue_length_proc ? "proc" : "sock_diag";
                         });

} // namespace
