#include "common/socket.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "support/parse_table.hpp"

namespace {

using pb::Endpoint;
using pb::ListenerOptions;

bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

int socket_option(int fd, int level, int name) {
    int value = 0;
    socklen_t size = sizeof value;
    EXPECT_EQ(getsockopt(fd, level, name, &value, &size), 0);
    return value;
}

const struct {
    std::string_view text;
    std::optional<Endpoint> want;
} endpoints[] = {
    {"127.0.0.1:8080", Endpoint{"127.0.0.1", 8080}},
    {"0.0.0.0:0", Endpoint{"0.0.0.0", 0}},
    {"localhost:65535", Endpoint{"localhost", 65535}},
    {"[::1]:80", Endpoint{"::1", 80}},
    {"[::]:8080", Endpoint{"::", 8080}},
    {"127.0.0.1", std::nullopt},
    {"127.0.0.1:", std::nullopt},
    {"127.0.0.1:65536", std::nullopt},
    {"127.0.0.1:-1", std::nullopt},
    {"127.0.0.1:80x", std::nullopt},
    {"127.0.0.1:http", std::nullopt},
    {"[::1]80", std::nullopt},
    {"[::1:80", std::nullopt},
    {"", std::nullopt},
};

TEST(ParseEndpoint, Table) {
    test_support::expect_parse_table(endpoints, pb::parse_endpoint,
                                     [](const Endpoint& e) { return std::pair(e.host, e.port); });
}

TEST(ToString, Ipv4AndIpv6) {
    EXPECT_EQ(pb::to_string(Endpoint{"127.0.0.1", 8080}), "127.0.0.1:8080");
    EXPECT_EQ(pb::to_string(Endpoint{"::1", 80}), "[::1]:80");
    EXPECT_EQ(pb::to_string(Endpoint{"localhost", 0}), "localhost:0");
}

TEST(ToString, ParsesBack) {
    for (const Endpoint& e : {Endpoint{"127.0.0.1", 1}, Endpoint{"::1", 65535}, Endpoint{"example.org", 443}}) {
        const auto back = pb::parse_endpoint(pb::to_string(e));
        ASSERT_TRUE(back.has_value()) << pb::to_string(e);
        EXPECT_EQ(back->host, e.host);
        EXPECT_EQ(back->port, e.port);
    }
}

TEST(OpenListener, EphemeralPortListens) {
    const pb::Fd fd = pb::open_listener(Endpoint{"127.0.0.1", 0}, ListenerOptions{});
    ASSERT_TRUE(fd);
    EXPECT_NE(pb::local_port(fd.get()), 0);
    EXPECT_EQ(socket_option(fd.get(), SOL_SOCKET, SO_ACCEPTCONN), 1);
    EXPECT_NE(fcntl(fd.get(), F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(OpenListener, AcceptsAConnection) {
    const pb::Fd listener = pb::open_listener(Endpoint{"127.0.0.1", 0}, ListenerOptions{});
    const pb::Fd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(pb::local_port(listener.get()));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(client.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
    const pb::Fd accepted(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    EXPECT_TRUE(accepted);
}

TEST(OpenListener, BindOnlyDoesNotListen) {
    ListenerOptions options;
    options.listen = false;
    const pb::Fd fd = pb::open_listener(Endpoint{"127.0.0.1", 0}, options);
    EXPECT_NE(pb::local_port(fd.get()), 0);
    EXPECT_EQ(socket_option(fd.get(), SOL_SOCKET, SO_ACCEPTCONN), 0);
}

TEST(OpenListener, ReuseportListenersShareAPort) {
    ListenerOptions options;
    options.reuseport = true;
    const pb::Fd first = pb::open_listener(Endpoint{"127.0.0.1", 0}, options);
    const std::uint16_t port = pb::local_port(first.get());
    pb::Fd second;
    ASSERT_NO_THROW(second = pb::open_listener(Endpoint{"127.0.0.1", port}, options));
    EXPECT_EQ(pb::local_port(second.get()), port);
    EXPECT_EQ(socket_option(second.get(), SOL_SOCKET, SO_REUSEPORT), 1);
}

TEST(OpenListener, SecondBindWithoutReuseportThrows) {
    const pb::Fd first = pb::open_listener(Endpoint{"127.0.0.1", 0}, ListenerOptions{});
    const std::uint16_t port = pb::local_port(first.get());
    try {
        pb::open_listener(Endpoint{"127.0.0.1", port}, ListenerOptions{});
        FAIL() << "second bind to port " << port << " succeeded";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("bind"), std::string::npos) << e.what();
        EXPECT_EQ(e.code().value(), EADDRINUSE);
    }
}

TEST(SetNonblocking, Toggles) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pb::Fd read_end(fds[0]), write_end(fds[1]);
    pb::set_nonblocking(read_end.get(), true);
    EXPECT_NE(fcntl(read_end.get(), F_GETFL) & O_NONBLOCK, 0);
    pb::set_nonblocking(read_end.get(), false);
    EXPECT_EQ(fcntl(read_end.get(), F_GETFL) & O_NONBLOCK, 0);
}

TEST(Fd, ClosesOnceAndMoves) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pb::Fd write_end(fds[1]);
    {
        pb::Fd a(fds[0]);
        pb::Fd b(std::move(a));
        EXPECT_FALSE(a); // NOLINT(bugprone-use-after-move): moved-from state is the contract
        EXPECT_EQ(b.get(), fds[0]);
        pb::Fd c;
        c = std::move(b);
        EXPECT_EQ(c.get(), fds[0]);
        EXPECT_TRUE(is_open(fds[0]));
    }
    EXPECT_FALSE(is_open(fds[0]));
}

TEST(Fd, ReleaseKeepsItOpen) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    int kept = -1;
    {
        pb::Fd a(fds[0]);
        pb::Fd b(fds[1]);
        kept = a.release();
        EXPECT_FALSE(a);
        b.reset();
        EXPECT_FALSE(is_open(fds[1]));
    }
    EXPECT_TRUE(is_open(kept));
    close(kept);
}

TEST(Fd, MoveAssignClosesTheOldOne) {
    int first[2], second[2];
    ASSERT_EQ(pipe(first), 0);
    ASSERT_EQ(pipe(second), 0);
    const pb::Fd w1(first[1]), w2(second[1]);
    pb::Fd a(first[0]);
    a = pb::Fd(second[0]);
    EXPECT_FALSE(is_open(first[0]));
    EXPECT_EQ(a.get(), second[0]);
}

} // namespace
