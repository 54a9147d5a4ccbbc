// --cost-from-request: each request's query says how long it works and
// waits (work= and delay=, microseconds), in every model; --work and
// --delay stay the defaults for what a request leaves out. A malformed or
// too large cost is a 400 that closes. Without the flag the query is
// ignored. Times are lower bounds, and upper bounds only far from the
// expected time.
#include <chrono>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_test.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

std::string get(std::string_view target) {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

struct Timed {
    ReadResult result;
    Clock::duration elapsed;
};

// One request on `client`, timed from its send to the end of its response.
Timed timed_get(HttpClient& client, std::string_view target) {
    const auto begin = Clock::now();
    if (!client.send(get(target))) return {ReadResult{ReadOutcome::error, {}, client.error()}, {}};
    ReadResult result = client.read_response();
    return {std::move(result), Clock::now() - begin};
}

// Expects a 200 with the hello body; returns how long it took.
Clock::duration expect_hello(HttpClient& client, std::string_view target) {
    const Timed answer = timed_get(client, target);
    EXPECT_EQ(answer.result.status(), 200) << target << ": " << answer.result;
    if (answer.result.ok()) {
        EXPECT_EQ(answer.result.response.body, "Hello, World!") << target;
    }
    return answer.elapsed;
}

// Bytes of a response already waiting on the socket, without waiting.
bool response_pending(const HttpClient& client) {
    char byte = 0;
    return recv(client.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

class RequestCost : public ServerTest {};

TEST_P(RequestCost, QueryDelayIsWaitedAndARequestWithoutOneAnswersAtOnce) {
    ASSERT_NO_FATAL_FAILURE(start({"--cost-from-request", "--delay", "0"}));
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    EXPECT_GE(expect_hello(client, "/?delay=50000"), 50ms) << "delay=50000 was not waited";
    EXPECT_GE(expect_hello(client, "/?delay=400000"), 400ms) << "delay=400000 was not waited";
    // On the same connection: a delay that stuck to it would take 400 ms.
    const auto plain = expect_hello(client, "/");
    EXPECT_LT(plain, 200ms) << "GET / with --delay 0 took " << ms_of(plain) << " ms";
    const auto work_only = expect_hello(client, "/?work=0");
    EXPECT_LT(work_only, 200ms) << "work=0 without delay= took " << ms_of(work_only) << " ms";
}

TEST_P(RequestCost, WhatTheQueryLeavesOutKeepsTheFlagsDefault) {
    ASSERT_NO_FATAL_FAILURE(start({"--cost-from-request", "--delay", "300ms"}));
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    EXPECT_GE(expect_hello(client, "/?work=10&other=1"), 300ms) << "no delay= in the query: --delay 300ms applies";
    const auto overridden = expect_hello(client, "/?delay=0");
    EXPECT_LT(overridden, 150ms) << "delay=0 must replace --delay 300ms; took " << ms_of(overridden) << " ms";
}

TEST_P(RequestCost, QueryWorkIsBurnt) {
    ASSERT_NO_FATAL_FAILURE(start({"--cost-from-request", "--delay", "0"}));
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    EXPECT_GE(expect_hello(client, "/?work=100000"), 95ms) << "work=100000 (100 ms of CPU time) was not burnt";
}

TEST_P(RequestCost, MalformedOrTooLargeCostGets400AndClose) {
    ASSERT_NO_FATAL_FAILURE(start({"--cost-from-request", "--delay", "0", "--max-cost", "100ms"}));
    for (const std::string_view target :
         {"/?work=abc", "/?delay=-1", "/?delay=", "/?work=99999999999999999999999", "/?delay=100001"}) {
        SCOPED_TRACE(target);
        HttpClient client(port());
        ASSERT_TRUE(client.connected()) << client.error();
        client.send(get(target)); // the server may close before it has read all: the answer counts
        const ReadResult result = client.read_response();
        EXPECT_EQ(result.status(), 400) << result;
        EXPECT_EQ(client.wait_closed(2000ms), CloseOutcome::closed) << "the connection must close after the 400";
    }
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    EXPECT_GE(expect_hello(client, "/?delay=100000"), 100ms) << "exactly --max-cost is allowed";
    expect_serves(port(), "a new connection after the 400s");
}

TEST_P(RequestCost, WithoutTheFlagTheQueryIsIgnored) {
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "0"}));
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    const auto ignored = expect_hello(client, "/?delay=5000000");
    EXPECT_LT(ignored, 2500ms) << "delay=5000000 (5 s) was waited without --cost-from-request";
    const Timed malformed = timed_get(client, "/?work=abc");
    EXPECT_EQ(malformed.result.status(), 200) << "a cost the server does not read cannot be malformed: "
                                              << malformed.result;
    EXPECT_NE(malformed.result.response.header("Connection").value_or(""), "close");
}

// Pipelined in one write, the long delay first: the batch waits for its
// longest delay, and the response after it cannot overtake it.
TEST_P(RequestCost, PipelinedRequestsWaitForTheLongestDelayInOrder) {
    ASSERT_NO_FATAL_FAILURE(start({"--cost-from-request", "--delay", "0"}));
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    const auto begin = Clock::now();
    ASSERT_TRUE(client.send(get("/?delay=200000") + get("/?delay=0"))) << client.error();
    const ReadResult first = client.read_response();
    const ReadResult second = client.read_response();
    const auto elapsed = Clock::now() - begin;
    EXPECT_EQ(first.status(), 200) << first;
    EXPECT_EQ(second.status(), 200) << second;
    EXPECT_GE(elapsed, 200ms) << "both responses within " << ms_of(elapsed) << " ms: the 200 ms delay was not waited";
}

INSTANTIATE_TEST_SUITE_P(Servers, RequestCost, testing::ValuesIn(all_configs()), config_name);

// The models whose one worker serves many connections at once: all but
// the blocking one, which serves one connection per process.
std::vector<ServerConfig> multiplexing_configs() {
    std::vector<ServerConfig> configs;
    for (const ServerConfig& config : all_configs())
        if (config.name != "accept_mutex_blocking") configs.push_back(config);
    return configs;
}

class RequestCostOneWorker : public ServerTest {};

// Deadlines out of push order on one worker: the request that waits 10 ms,
// read after one that waits 1 s, must not wait behind it.
TEST_P(RequestCostOneWorker, AShorterDelayOnAnotherConnectionIsAnsweredFirst) {
    TempPath stats("itest-stats");
    ASSERT_NO_FATAL_FAILURE(start({"--cost-from-request", "--delay", "0", "--stats", stats.str()}, 1));
    HttpClient slow(port()), fast(port());
    ASSERT_TRUE(slow.connected()) << slow.error();
    ASSERT_TRUE(fast.connected()) << fast.error();

    const std::string slow_request = get("/?delay=1000000");
    const auto slow_begin = Clock::now();
    ASSERT_TRUE(slow.send(slow_request)) << slow.error();
    // The slow request is read, so its deadline is queued first.
    ASSERT_TRUE(wait_for_bytes_in(stats, slow_request.size())) << "the server never read the 1 s request";

    const auto fast_begin = Clock::now();
    ASSERT_TRUE(fast.send(get("/?delay=10000"))) << fast.error();
    const ReadResult fast_answer = fast.read_response();
    const auto fast_elapsed = Clock::now() - fast_begin;
    EXPECT_FALSE(response_pending(slow)) << "the 1 s response came with the 10 ms one";
    EXPECT_EQ(fast_answer.status(), 200) << fast_answer;
    EXPECT_GE(fast_elapsed, 10ms);
    EXPECT_LT(fast_elapsed, 500ms) << "the 10 ms request waited behind the 1 s one";

    const ReadResult slow_answer = slow.read_response();
    EXPECT_EQ(slow_answer.status(), 200) << slow_answer;
    EXPECT_GE(Clock::now() - slow_begin, 1000ms);
}

INSTANTIATE_TEST_SUITE_P(Servers, RequestCostOneWorker, testing::ValuesIn(multiplexing_configs()), config_name);

} // namespace
} // namespace itest
