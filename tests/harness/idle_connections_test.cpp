// The idle-connections client: where a response ends (a table), then
// connections held against a real prefork-epoll server on 127.0.0.1, one
// that closes them, and one that is not there.
#include "measure/idle_connections.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/child_process.hpp"
#include "common/ready_line.hpp"
#include "launch/peer_launcher.hpp"
#include "scenario/scenario.hpp"

namespace pb::harness {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using State = ResponseFrame::State;

const std::string hello_head = "HTTP/1.1 200 OK\r\nServer: prefork-bench\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 13\r\n\r\n";

struct FrameCase {
    const char* label;
    std::string data;
    State state;
    int status = 0;
    std::size_t size = 0;
};

TEST(ResponseFrame, EndsAfterItsContentLength) {
    const std::vector<FrameCase> cases = {
        {"nothing yet", "", State::incomplete},
        {"half a head", "HTTP/1.1 200 OK\r\nContent-Le", State::incomplete},
        {"head without body", hello_head, State::incomplete, 200},
        {"body short by one", hello_head + "Hello, World", State::incomplete, 200},
        {"whole", hello_head + "Hello, World!", State::complete, 200, hello_head.size() + 13},
        {"whole, then more", hello_head + "Hello, World!HTTP/1.1", State::complete, 200, hello_head.size() + 13},
        {"lower-case header", "HTTP/1.1 405 Method Not Allowed\r\ncontent-length:  0 \r\n\r\n", State::complete, 405, 56},
        {"status without reason", "HTTP/1.1 204\r\nContent-Length: 0\r\n\r\n", State::complete, 204, 35},
        {"no Content-Length", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nHello", State::malformed},
        {"bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", State::malformed},
        {"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", State::malformed},
        {"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", State::malformed},
        {"status not a number", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", State::malformed},
    };
    for (const FrameCase& c : cases) {
        SCOPED_TRACE(c.label);
        const ResponseFrame frame = frame_response(c.data);
        EXPECT_EQ(frame.state, c.state);
        if (c.state == State::malformed) {
            EXPECT_FALSE(frame.problem.empty());
            continue;
        }
        EXPECT_EQ(frame.status, c.status);
        if (c.state == State::complete) {
            EXPECT_EQ(frame.size, c.size);
        }
    }
}

TEST(HttpRequest, IsWhatWrkSends) {
    EXPECT_EQ(http_request({"Host: localhost", "Connection: keep-alive"}, "/"),
              "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n");
}

const fs::path build_dir = fs::path(PREFORK_BENCH_BINARY).parent_path().parent_path();

// prefork-epoll on a free port with `flags`, stopped (and its group
// killed) by ChildProcess's destructor.
struct Server {
    explicit Server(std::vector<std::string> flags) : process(spec(std::move(flags))) {
        const ReadyWait wait = wait_for_ready(process, 10'000ms);
        if (!wait.ready) throw std::runtime_error("prefork-epoll not ready: " + wait.error);
        port = static_cast<std::uint16_t>(wait.ready->port);
    }
    static ChildSpec spec(std::vector<std::string> flags) {
        ChildSpec spec;
        spec.argv = {model_binary(build_dir, "prefork-epoll").string(), "--listen", "127.0.0.1:0", "--delay", "0"};
        spec.argv.insert(spec.argv.end(), flags.begin(), flags.end());
        spec.die_with_parent = true;
        return spec;
    }
    ChildProcess process;
    std::uint16_t port = 0;
};

std::string request() { return http_request(documented_headers(), "/"); }

TEST(HeldConnections, HoldsEveryConnectionAndProbesNewOnes) {
    Server server({"--workers", "2"});
    HeldConnections connections(server.port, request());
    for (int batch = 0; batch < 3; ++batch) connections.open_batch(40, 10'000ms);
    EXPECT_EQ(connections.held(), 120u);
    for (int i = 0; i < 5; ++i) EXPECT_GT(connections.probe(10'000ms).count(), 0);
    EXPECT_EQ(connections.reap_dropped(), 0);
    EXPECT_EQ(connections.held(), 120u);
    EXPECT_EQ(connections.dropped(), 0);
    connections.close_all();
    EXPECT_EQ(connections.held(), 0u);
}

// A server that closes idle keep-alive connections must show up as dropping
// them, not as holding them cheaply.
TEST(HeldConnections, ConnectionsTheServerClosesAreCountedAsDropped) {
    Server server({"--workers", "1", "--idle-timeout", "100ms"});
    HeldConnections connections(server.port, request());
    connections.open_batch(10, 10'000ms);
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (connections.dropped() < 10 && std::chrono::steady_clock::now() < give_up) {
        connections.reap_dropped();
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(connections.dropped(), 10);
    EXPECT_EQ(connections.held(), 0u);
}

TEST(HeldConnections, AResponseOtherThan200FailsTheBatch) {
    Server server({"--workers", "1"});
    HeldConnections connections(server.port, "DELETE / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    try {
        connections.open_batch(3, 10'000ms);
        FAIL() << "no error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("answered 405"), std::string::npos) << error.what();
    }
    EXPECT_EQ(connections.held(), 0u);
}

TEST(HeldConnections, NoServerFailsNamingConnect) {
    HeldConnections connections(free_loopback_port(), request());
    try {
        connections.open_batch(2, 10'000ms);
        FAIL() << "no error";
    } catch (const std::system_error& error) {
        EXPECT_NE(std::string(error.what()).find("connect(127.0.0.1:"), std::string::npos) << error.what();
    }
    EXPECT_EQ(connections.held(), 0u);
}

} // namespace
} // namespace pb::harness
