// The request path allocates nothing, in every model: after a warm-up, 10,000
// keep-alive requests leave each worker's `allocations` counter (a counting
// operator new in every server binary) where it was. Connections, buffers
// and timers may be set up on first use; requests may not allocate.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_test.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

constexpr int connections = 8;
constexpr int warmup_rounds = 100;
constexpr int measured_rounds = 1250; // 8 x 1,250 = 10,000 requests

// One request on every connection (clients[i] sends requests[i]), then
// every response.
void round_trip(std::vector<HttpClient>& clients, const std::vector<std::string>& requests) {
    for (std::size_t i = 0; i < clients.size(); ++i)
        ASSERT_TRUE(clients[i].send(requests[i])) << clients[i].error();
    for (HttpClient& client : clients) {
        const ReadResult result = client.read_response(false, 5000ms);
        ASSERT_EQ(result.status(), 200) << result;
    }
}

class AllocationFree : public ServerTest {
protected:
    // The first snapshot that has counted at least `requests` responses.
    std::optional<StatsFile> counted(const TempPath& stats, int requests) {
        std::optional<StatsFile> last;
        const bool done = wait_for_counters(stats, [&](const StatsFile& file) {
            last = file;
            return file.sum("requests") >= static_cast<std::uint64_t>(requests);
        });
        return done ? last : std::nullopt;
    }

    // `flags` for the server; each connection sends its own request, the
    // same one every round.
    void expect_none(std::vector<std::string> flags,
                     const std::vector<std::string>& requests = std::vector<std::string>(connections,
                                                                                         std::string(simple_get))) {
        TempPath stats("itest-stats");
        const std::string what = describe(flags);
        flags.insert(flags.end(), {"--stats", stats.str()});
        ASSERT_NO_FATAL_FAILURE(start(flags, GetParam().concurrent_workers));
        std::vector<HttpClient> clients;
        for (int i = 0; i < connections; ++i) {
            clients.emplace_back(port());
            ASSERT_TRUE(clients.back().connected()) << clients.back().error();
        }
        for (int round = 0; round < warmup_rounds; ++round)
            ASSERT_NO_FATAL_FAILURE(round_trip(clients, requests));
        // A response is counted just after it is sent, so the client may read
        // it first: snapshot until every response sent so far is counted.
        const std::optional<StatsFile> before = counted(stats, connections * warmup_rounds);
        ASSERT_TRUE(before) << "the warm-up's responses were never all counted";
        for (int round = 0; round < measured_rounds; ++round)
            ASSERT_NO_FATAL_FAILURE(round_trip(clients, requests));
        const std::optional<StatsFile> after = counted(stats, connections * (warmup_rounds + measured_rounds));
        ASSERT_TRUE(after) << "the measured responses were never all counted";
        EXPECT_EQ(after->sum("requests") - before->sum("requests"), std::uint64_t{connections * measured_rounds});
        EXPECT_EQ(after->sum("allocations"), before->sum("allocations"))
            << "allocations over " << connections * measured_rounds << " requests with" << what;
    }

    static std::string describe(const std::vector<std::string>& flags) {
        std::string text;
        for (const std::string& flag : flags) text += " " + flag;
        return text;
    }
};

TEST_P(AllocationFree, TenThousandRequestsWithoutAWait) { expect_none({"--delay", "0"}); }

TEST_P(AllocationFree, TenThousandRequestsThroughTheWait) { expect_none({"--delay", "1ms"}); }

// Costs parsed from the query, with a delay that differs per connection
// (0.2 to 1.6 ms, longest first), so that deadlines reach the epoll
// models' timer queue out of its push order.
TEST_P(AllocationFree, TenThousandRequestsWithCostsInTheirQuery) {
    std::vector<std::string> requests;
    for (int i = 0; i < connections; ++i)
        requests.push_back("GET /?tag=x&work=1&delay=" + std::to_string((connections - i) * 200) +
                           " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect_none({"--delay", "0", "--cost-from-request"}, requests);
}

INSTANTIATE_TEST_SUITE_P(Servers, AllocationFree, testing::ValuesIn(all_configs()), config_name);

} // namespace
} // namespace itest
