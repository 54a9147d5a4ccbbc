// SIGTERM and SIGINT: in-flight requests finish, the master exits 0 after
// every worker, and the stats file has one row per worker.
#include <chrono>
#include <csignal>
#include <string>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_test.hpp"
#include "stats_csv.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

class Shutdown : public ServerTest {
protected:
    // Waits for the server to exit after a stop signal; expects status 0.
    void expect_clean_exit(milliseconds timeout) {
        std::optional<int> status = server().wait_exit(timeout);
        ASSERT_TRUE(status.has_value()) << "still running " << timeout.count() << " ms after the stop signal";
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
            << "the master " << describe_wait_status(*status) << "\n" << server().describe();
    }

    // The stats file: worker, pid and every counter the tests know, one well-formed row per worker with
    // distinct worker numbers 0..N-1 and a pid.
    StatsFile expect_stats(const std::string& path) {
        std::string error;
        std::optional<StatsFile> stats = read_stats(path, error);
        if (!stats) {
            ADD_FAILURE() << error;
            return {};
        }
        EXPECT_TRUE(error.empty()) << error;
        EXPECT_EQ(stats->header.rfind(stats_header_start, 0), 0u) << stats->header;
        for (const std::string& column : required_stats_columns)
            EXPECT_NE(("," + stats->header + ",").find("," + column + ","), std::string::npos)
                << "column " << column << " missing from " << stats->header;
        EXPECT_EQ(stats->rows.size(), static_cast<std::size_t>(workers())) << "one row per worker";
        std::vector<bool> seen(static_cast<std::size_t>(workers()), false);
        for (const auto& row : stats->rows) {
            auto worker = row.count("worker") ? row.at("worker") : 0;
            EXPECT_LT(worker, static_cast<std::uint64_t>(workers())) << "worker column";
            if (worker < seen.size()) {
                EXPECT_FALSE(seen[worker]) << "worker " << worker << " has two rows";
                seen[worker] = true;
            }
            EXPECT_NE(row.count("pid") ? row.at("pid") : 0, 0u) << "worker " << worker << " has no pid";
        }
        return *stats;
    }
};

TEST_P(Shutdown, SigtermLetsInFlightRequestFinish) {
    TempPath stats("itest-stats");
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "500ms", "--stats", stats.str()}));
    std::vector<pid_t> children = server().children();
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send(simple_get)) << client.error();
    // In flight: read by the server, and waiting out the 500 ms delay.
    ASSERT_TRUE(wait_for_bytes_in(stats, simple_get.size()))
        << "the server never read the request";
    server().signal(SIGTERM);

    ReadResult result = client.read_response(false, 5000ms);
    EXPECT_EQ(result.status(), 200) << "the request in flight at SIGTERM: " << result;
    if (result.ok()) {
        EXPECT_EQ(result.response.body, "Hello, World!");
        // A stopping server does not keep the connection.
        EXPECT_EQ(client.wait_closed(2000ms), CloseOutcome::closed) << "the connection stayed open after SIGTERM";
    }
    client.close();
    ASSERT_NO_FATAL_FAILURE(expect_clean_exit(10'000ms));

    for (pid_t child : children) {
        EXPECT_FALSE(is_alive(child)) << "worker " << child << " outlived the master";
    }
    StatsFile file = expect_stats(stats.str());
    EXPECT_GE(file.sum("requests"), 1u);

    // Nothing on stdout but the ready line.
    std::string out = server().stdout_text();
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "stdout: '" << out << "'";
    EXPECT_EQ(out.rfind("ready ", 0), 0u) << "stdout: '" << out << "'";
}

TEST_P(Shutdown, StatsCountEveryWorkerAndRequest) {
    TempPath stats("itest-stats");
    const int workers = GetParam().workers + 1;
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "10ms", "--stats", stats.str()}, workers));
    // 4 connections with one request, one with two, one rejected: 6
    // connections, 7 responses, 6 of them 2xx and one 4xx.
    for (int i = 0; i < 4; ++i) expect_serves(port(), "request " + std::to_string(i));
    {
        HttpClient client(port());
        ASSERT_TRUE(client.connected()) << client.error();
        for (int i = 0; i < 2; ++i) {
            ASSERT_TRUE(client.send(simple_get)) << client.error();
            EXPECT_EQ(client.read_response().status(), 200);
        }
    }
    {
        HttpClient client(port());
        ASSERT_TRUE(client.connected()) << client.error();
        client.send("DELETE / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        EXPECT_EQ(client.read_response().status(), 405);
    }
    // Every response the clients read is counted before the stop, so that
    // the file written at exit is what is tested, not a race with the count.
    ASSERT_TRUE(wait_for_counters(stats, [](const StatsFile& f) { return f.sum("requests") >= 7u; }))
        << "the servers did not count the 7 responses the clients read";
    server().signal(SIGTERM);
    ASSERT_NO_FATAL_FAILURE(expect_clean_exit(10'000ms));
    StatsFile file = expect_stats(stats.str());
    EXPECT_EQ(file.sum("connections"), 6u);
    EXPECT_EQ(file.sum("requests"), 7u);
    EXPECT_EQ(file.sum("responses_2xx"), 6u);
    EXPECT_EQ(file.sum("responses_4xx"), 1u);
    EXPECT_EQ(file.sum("responses_5xx"), 0u);
    EXPECT_EQ(file.sum("respawns"), 0u);
    EXPECT_GT(file.sum("bytes_in"), 7u * 30u);
    EXPECT_GT(file.sum("bytes_out"), 6u * 100u);
}

TEST_P(Shutdown, SigintStopsCleanly) {
    ASSERT_NO_FATAL_FAILURE(start());
    std::vector<pid_t> children = server().children();
    expect_serves(port(), "before SIGINT");
    server().signal(SIGINT);
    ASSERT_NO_FATAL_FAILURE(expect_clean_exit(10'000ms));
    for (pid_t child : children) {
        EXPECT_FALSE(is_alive(child)) << "worker " << child << " outlived the master";
    }
}

TEST_P(Shutdown, IdleKeepAliveConnectionDoesNotHoldUpShutdown) {
    // The drain timeout is for requests in flight; an idle keep-alive
    // connection has none and must not make the stop wait for it.
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "10ms", "--drain-timeout", "3s"}));
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send(simple_get)) << client.error();
    ASSERT_EQ(client.read_response().status(), 200);
    // The connection is open and idle: nothing is in flight.
    auto begin = Clock::now();
    server().signal(SIGTERM);
    ASSERT_NO_FATAL_FAILURE(expect_clean_exit(6000ms));
    EXPECT_LT(Clock::now() - begin, 2000ms) << "an idle connection held the shutdown up";
    EXPECT_EQ(client.wait_closed(1000ms), CloseOutcome::closed);
}

// SIGUSR1 writes the counters so far and the server goes on serving: the
// harness takes its baseline this way after the warm-up.
TEST_P(Shutdown, SigusrWritesCountersWhileServing) {
    TempPath stats("itest-stats");
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "0", "--stats", stats.str()}));
    for (int i = 0; i < 3; ++i) expect_serves(port(), "before SIGUSR1");
    // A response is counted just after it is sent, so a client can read it
    // first: the snapshots that follow are awaited until they show it.
    ASSERT_TRUE(wait_for_counters(stats, [](const StatsFile& f) { return f.sum("requests") >= 3u; }))
        << "no stats file with the 3 requests after SIGUSR1";
    StatsFile file = expect_stats(stats.str());
    EXPECT_EQ(file.sum("requests"), 3u);
    EXPECT_EQ(file.sum("connections"), 3u);
    expect_serves(port(), "after SIGUSR1");
    EXPECT_TRUE(is_alive(server().pid())) << "SIGUSR1 stopped the server";
}

INSTANTIATE_TEST_SUITE_P(Servers, Shutdown, testing::ValuesIn(all_configs()), config_name);

} // namespace
} // namespace itest
