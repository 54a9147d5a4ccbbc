// The wait of a request (--delay) must not hold up the others: 64 concurrent
// delayed requests finish in about one delay, not 64 (or 64 / workers).
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_test.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

class Concurrency : public ServerTest {};

TEST_P(Concurrency, SixtyFourDelayedRequestsDoNotSerialise) {
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "200ms"}, GetParam().concurrent_workers));
    constexpr int connections = 64;
    std::vector<HttpClient> clients;
    clients.reserve(connections);
    auto begin = Clock::now();
    for (int i = 0; i < connections; ++i) {
        clients.emplace_back(port());
        ASSERT_TRUE(clients.back().connected()) << "connection " << i << ": " << clients.back().error();
    }
    for (int i = 0; i < connections; ++i) {
        ASSERT_TRUE(clients[static_cast<std::size_t>(i)].send(simple_get))
            << "connection " << i << ": " << clients[static_cast<std::size_t>(i)].error();
    }
    int ok = 0;
    for (int i = 0; i < connections; ++i) {
        ReadResult result = clients[static_cast<std::size_t>(i)].read_response(false, 5000ms);
        if (result.status() == 200 && result.response.body == "Hello, World!") {
            ++ok;
        } else {
            ADD_FAILURE() << "connection " << i << ": " << result;
        }
    }
    auto elapsed = Clock::now() - begin;
    EXPECT_EQ(ok, connections);
    EXPECT_GE(elapsed, 190ms) << "faster than the delay: --delay was not applied";
    EXPECT_LT(elapsed, 2000ms) << "64 requests of 200 ms took " << ms_of(elapsed) << " ms: the waits were serialised";
}

INSTANTIATE_TEST_SUITE_P(Servers, Concurrency, testing::ValuesIn(all_configs()), config_name);

} // namespace
} // namespace itest
