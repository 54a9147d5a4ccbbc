// The floor peer (peers/floor/floor_responder.cpp): one response per
// "\r\n\r\n" it reads, a batch of pipelined requests answered at once, a
// terminator split across reads counted once, any wait refused, and SIGTERM
// stops the master and its workers.
#include <iostream>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_process.hpp"

#ifndef FLOOR_RESPONDER_BINARY
#error "FLOOR_RESPONDER_BINARY comes from peers/floor/CMakeLists.txt (add_subdirectory(peers/floor) after the tests)"
#endif

namespace itest {
namespace {

using namespace std::chrono_literals;

// No more bytes arrive within this: the count of responses was exact.
constexpr milliseconds quiet{200};

void expect_floor_response(const ReadResult& result, const std::string& context) {
    ASSERT_TRUE(result.ok()) << context << ": " << result;
    const HttpResponse& response = result.response;
    EXPECT_EQ(response.version, "HTTP/1.1") << context;
    EXPECT_EQ(response.status, 200) << context;
    EXPECT_EQ(response.header("Server").value_or(""), "floor") << context;
    EXPECT_EQ(response.header("Content-Type").value_or(""), "text/plain") << context;
    EXPECT_EQ(response.header("Content-Length").value_or(""), "13") << context;
    EXPECT_EQ(response.header("Date").value_or("").size(), 29u) << "IMF-fixdate, " << context;
    EXPECT_EQ(response.body, "Hello, World!") << context;
}

class FloorPeer : public testing::Test {
protected:
    void SetUp() override {
        floor_ = std::make_unique<ServerProcess>(FLOOR_RESPONDER_BINARY,
                                                 std::vector<std::string>{"--port", "0", "--workers", "2"});
        ASSERT_TRUE(floor_->wait_ready()) << floor_->describe();
        ASSERT_EQ(floor_->ready().model, "floor");
        ASSERT_EQ(floor_->ready().workers, 2);
    }
    void TearDown() override {
        if (HasFailure()) std::cerr << floor_->describe() << "\n";
    }
    int port() const { return floor_->port(); }

    std::unique_ptr<ServerProcess> floor_;
};

TEST_F(FloorPeer, AnswersOneRequestThenSixteenPipelinedInOneWrite) {
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send(simple_get)) << client.error();
    ASSERT_NO_FATAL_FAILURE(expect_floor_response(client.read_response(), "the single request"));
    EXPECT_EQ(client.unread_bytes(quiet), 0u) << "exactly one response to one request";

    std::string sixteen;
    for (int i = 0; i < 16; ++i) sixteen += simple_get;
    ASSERT_TRUE(client.send(sixteen)) << client.error();
    for (int i = 1; i <= 16; ++i)
        ASSERT_NO_FATAL_FAILURE(expect_floor_response(client.read_response(), "pipelined " + std::to_string(i)));
    EXPECT_EQ(client.unread_bytes(quiet), 0u) << "exactly sixteen responses to sixteen requests";
}

TEST_F(FloorPeer, TerminatorSplitAcrossReadsCountsOnce) {
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    // One byte per segment: "\r\n\r\n" reaches the floor over four reads.
    ASSERT_TRUE(client.send_byte_by_byte(simple_get, 1ms)) << client.error();
    ASSERT_NO_FATAL_FAILURE(expect_floor_response(client.read_response(), "the request sent byte by byte"));
    EXPECT_EQ(client.unread_bytes(quiet), 0u);
}

TEST_F(FloorPeer, SigtermStopsMasterAndWorkersWithStatusZero) {
    ASSERT_EQ(floor_->children().size(), 2u);
    EXPECT_TRUE(floor_->stop().empty()) << "no worker outlived the master";
    ASSERT_TRUE(floor_->wait_status().has_value());
    const int status = *floor_->wait_status();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_wait_status(status);
}

// A scenario with a wait must not measure the floor without it.
TEST(FloorPeerCommandLine, RefusesAWaitWithStatusTwo) {
    const RunResult result = run_to_exit(FLOOR_RESPONDER_BINARY, {"--port", "0", "--delay", "100ms"}, 10'000ms);
    ASSERT_TRUE(result.status.has_value()) << "did not exit within 10 s";
    EXPECT_EQ(result.exit_code(), 2) << describe_wait_status(*result.status);
    EXPECT_NE(result.err.find("--delay"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "one line: " << result.err;
    EXPECT_FALSE(result.printed_ready);
}

} // namespace
} // namespace itest
