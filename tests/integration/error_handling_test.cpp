// Requests a server must refuse, clients that misbehave, and timeouts: each
// gets its answer and the connection closed, and the worker lives on.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_test.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

class ErrorHandling : public ServerTest {
protected:
    // The sockets the server's processes hold: its listener(s) and its connections.
    std::size_t server_sockets() {
        std::size_t sockets = open_sockets(server().pid());
        for (pid_t child : server().children()) sockets += open_sockets(child);
        return sockets;
    }

    // Sends `request`, expects `status` and the connection closed, then a
    // 200 on a new connection from an unchanged set of workers.
    void expect_rejected(const std::string& request, int status) {
        Health before = health();
        {
            HttpClient client(port());
            ASSERT_TRUE(client.connected()) << client.error();
            // The server may close before it has read everything: a failed
            // send is fine as long as the answer arrives.
            client.send(request);
            ReadResult result = client.read_response();
            ASSERT_TRUE(result.ok()) << "expected a " << status << " response: " << result;
            EXPECT_EQ(result.response.status, status);
            EXPECT_EQ(client.wait_closed(2000ms), CloseOutcome::closed)
                << "the connection must be closed after a " << status;
        }
        expect_serves(port(), "new connection after the " + std::to_string(status));
        expect_serves(port(), "second new connection after the " + std::to_string(status));
        expect_same_health(before);
    }
};

TEST_P(ErrorHandling, ChunkedRequestGets501AndClose) {
    ASSERT_NO_FATAL_FAILURE(start());
    expect_rejected("POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
}

TEST_P(ErrorHandling, MalformedRequestLineGets400AndClose) {
    ASSERT_NO_FATAL_FAILURE(start());
    expect_rejected("NONSENSE\r\nHost: localhost\r\n\r\n", 400);
}

TEST_P(ErrorHandling, OversizedHeadGets431AndClose) {
    ASSERT_NO_FATAL_FAILURE(start());
    std::string request = "GET / HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + std::string(9000, 'a') + "\r\n\r\n";
    expect_rejected(request, 431);
}

TEST_P(ErrorHandling, UnsupportedMethodGets405AndClose) {
    ASSERT_NO_FATAL_FAILURE(start());
    expect_rejected("DELETE / HTTP/1.1\r\nHost: localhost\r\n\r\n", 405);
}

TEST_P(ErrorHandling, UnsupportedHttpVersionGets505AndClose) {
    ASSERT_NO_FATAL_FAILURE(start());
    expect_rejected("GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", 505);
}

TEST_P(ErrorHandling, ErrorAfterGoodRequestOnSameConnection) {
    ASSERT_NO_FATAL_FAILURE(start());
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send(simple_get)) << client.error();
    ReadResult good = client.read_response();
    ASSERT_EQ(good.status(), 200) << good;
    client.send("DELETE / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    ReadResult bad = client.read_response();
    EXPECT_EQ(bad.status(), 405) << bad;
    EXPECT_EQ(client.wait_closed(2000ms), CloseOutcome::closed);
}

TEST_P(ErrorHandling, ClientDisconnectingWhileRequestWaitsDoesNotHurt) {
    TempPath stats("itest-stats");
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "300ms", "--stats", stats.str()}));
    Health before = health();
    const std::size_t idle_sockets = server_sockets();
    ASSERT_GT(idle_sockets, 0u) << "the listener is a socket: /proc/PID/fd unreadable?";
    // Both ways a client goes away: a FIN, and a reset (the server's write
    // then fails with EPIPE; a worker without SIGPIPE ignored dies).
    constexpr int rounds = 3;
    for (int i = 0; i < rounds; ++i) {
        HttpClient fin(port());
        ASSERT_TRUE(fin.connected()) << fin.error();
        ASSERT_TRUE(fin.send(simple_get)) << fin.error();
        fin.close();
        HttpClient reset(port());
        ASSERT_TRUE(reset.connected()) << reset.error();
        ASSERT_TRUE(reset.send(simple_get)) << reset.error();
        reset.close_with_reset();
    }
    // The server is done with every one of them: it accepted them all and
    // has closed them all, after its answer (or on seeing the reset first).
    ASSERT_TRUE(wait_for_counters(stats, [](const StatsFile& f) { return f.sum("connections") == 2u * rounds; }))
        << "the server did not accept the " << 2 * rounds << " connections";
    ASSERT_TRUE(wait_until([&] { return server_sockets() == idle_sockets; }, 5000ms))
        << "the server holds " << server_sockets() << " sockets, " << idle_sockets << " when idle";
    expect_serves(port(), "new connection after clients went away");
    expect_same_health(before);
}

// The header timeout runs from a request's first byte, not from the start
// of the idle time before it: a keep-alive connection idle for longer than
// the header timeout still gets its next request, sent in two pieces.
TEST_P(ErrorHandling, HeaderTimeoutStartsAtTheRequestsFirstByte) {
    TempPath stats("itest-stats");
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "10ms", "--header-timeout", "500ms", "--idle-timeout", "10s",
                                   "--stats", stats.str()}));
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    // A first request: from now on the connection is an idle keep-alive one
    // (before any byte, the header timeout runs from accept: see below).
    ASSERT_TRUE(client.send(simple_get)) << client.error();
    ASSERT_EQ(client.read_response().status(), 200);
    std::this_thread::sleep_for(800ms); // idle, longer than the header timeout: the case itself
    const std::string_view first_piece = "GET / HTTP/1.1\r\nHost: loc";
    ASSERT_TRUE(client.send(first_piece)) << client.error();
    // Two pieces for the server, not one it could take in a single read.
    ASSERT_TRUE(wait_for_bytes_in(stats, first_piece.size()))
        << "the server never read the first piece";
    ASSERT_TRUE(client.send("alhost\r\n\r\n")) << client.error();
    ReadResult result = client.read_response(false, 3000ms);
    EXPECT_EQ(result.status(), 200) << "a request begun just now is within the 500 ms header timeout: " << result;
}

TEST_P(ErrorHandling, HeaderTimeoutClosesSlowClient) {
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "10ms", "--header-timeout", "300ms"}));
    Health before = health();
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    auto begin = Clock::now();
    ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: loc")) << client.error();
    // A 408 before the close is allowed; a 200 or silence is not.
    ReadResult result = client.read_response(false, 3000ms);
    if (result.ok()) {
        EXPECT_EQ(result.response.status, 408) << result;
        EXPECT_EQ(client.wait_closed(2000ms), CloseOutcome::closed);
    } else {
        EXPECT_TRUE(result.outcome == ReadOutcome::closed || result.outcome == ReadOutcome::reset)
            << "the half-sent request must be closed by the header timeout: " << result;
    }
    auto elapsed = Clock::now() - begin;
    EXPECT_GE(elapsed, 250ms) << "closed before the header timeout";
    expect_serves(port(), "new connection after the header timeout");
    expect_same_health(before);
}

// A connection that never sends a byte is held for the header timeout from
// accept, not the idle timeout, and closed without a reply (nginx's way).
TEST_P(ErrorHandling, SilentConnectionClosedAtTheHeaderTimeout) {
    TempPath stats("itest-stats");
    const std::vector<std::string> timeouts = {"--header-timeout", "300ms", "--idle-timeout", "30s"};
    std::vector<std::string> flags = {"--delay", "10ms", "--stats", stats.str()};
    flags.insert(flags.end(), timeouts.begin(), timeouts.end());
    ASSERT_NO_FATAL_FAILURE(start(flags));
    const Health before = health();
    const auto begin = Clock::now();
    HttpClient silent(port()); // never sends a byte
    ASSERT_TRUE(silent.connected()) << silent.error();
    EXPECT_EQ(silent.wait_closed(10'000ms), CloseOutcome::closed)
        << "a silent connection must be closed, and with no bytes (no 408: there is no request)";
    const auto elapsed = Clock::now() - begin;
    EXPECT_GE(elapsed, 250ms) << "closed before the header timeout";
    EXPECT_LT(elapsed, 10'000ms) << "held for the idle timeout instead";
    EXPECT_TRUE(wait_for_counters(stats, [](const StatsFile& f) { return f.sum("timeouts") >= 1; }))
        << "the close is counted as a timeout";
    expect_serves(port(), "new connection after the silent one");
    expect_same_health(before);
}

TEST_P(ErrorHandling, IdleTimeoutClosesIdleConnection) {
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "10ms", "--idle-timeout", "300ms"}));
    Health before = health();
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send(simple_get)) << client.error();
    ReadResult result = client.read_response();
    ASSERT_EQ(result.status(), 200) << result;
    auto begin = Clock::now();
    EXPECT_EQ(client.wait_closed(3000ms), CloseOutcome::closed) << "an idle keep-alive connection must be closed";
    EXPECT_GE(Clock::now() - begin, 250ms) << "closed before the idle timeout";
    expect_serves(port(), "new connection after the idle timeout");
    expect_same_health(before);
}

INSTANTIATE_TEST_SUITE_P(Servers, ErrorHandling, testing::ValuesIn(all_configs()), config_name);

} // namespace
} // namespace itest
