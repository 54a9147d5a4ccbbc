// prefork-epoll --as threads, the control: --workers epoll workers as threads
// of one process (no worker processes), with a stats row per thread that
// names the one pid, with either listener; the flag itself is described
// and checked like every model flag. The behaviour suites run it too
// (server_configs.cpp: prefork_threads).
#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_test.hpp"
#include "stats_csv.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

constexpr int threads = 3;

std::size_t threads_of(pid_t pid) {
    std::error_code ignored;
    const std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", ignored);
    return static_cast<std::size_t>(std::distance(begin(tasks), end(tasks)));
}

class ThreadedServer : public testing::TestWithParam<std::string> {
protected:
    std::vector<std::string> args(const std::vector<std::string>& extra) const {
        std::vector<std::string> all = {"--listen", "127.0.0.1:0", "--workers", std::to_string(threads),
                                        "--as",     "threads",     "--listener", GetParam(), "--delay", "0"};
        all.insert(all.end(), extra.begin(), extra.end());
        return all;
    }

    // Every row names the server's pid; `requests` were counted in all.
    static void expect_rows(const StatsFile& file, pid_t pid, std::uint64_t requests) {
        ASSERT_EQ(file.rows.size(), static_cast<std::size_t>(threads)) << "one row per thread";
        for (std::size_t i = 0; i < file.rows.size(); ++i) {
            EXPECT_EQ(file.rows[i].at("worker"), i);
            EXPECT_EQ(file.rows[i].at("pid"), static_cast<std::uint64_t>(pid)) << "row " << i;
        }
        EXPECT_EQ(file.sum("requests"), requests);
        EXPECT_EQ(file.sum("respawns"), 0u);
    }
};

TEST_P(ThreadedServer, OneProcessServesWithAStatsRowPerThread) {
    TempPath stats("itest-stats");
    ServerProcess server(PREFORK_EPOLL_BINARY, args({"--stats", stats.str()}));
    ASSERT_TRUE(server.wait_ready()) << server.describe();
    EXPECT_EQ(server.ready().model, "prefork-epoll");
    EXPECT_EQ(server.ready().workers, threads);
    EXPECT_EQ(server.ready().pid, server.pid());
    EXPECT_TRUE(server.children().empty()) << "a worker process in --as threads";
    EXPECT_GE(threads_of(server.pid()), static_cast<std::size_t>(threads) + 1) << "the main thread and the workers";

    constexpr int requests = 8;
    for (int i = 0; i < requests; ++i) expect_serves(server.port(), "request " + std::to_string(i));
    // A response is counted just after it is sent: snapshot until it shows.
    std::optional<StatsFile> snapshot;
    ASSERT_TRUE(wait_until(
        [&] {
            std::error_code ignored;
            std::filesystem::remove(stats.str(), ignored);
            server.signal(SIGUSR1);
            std::string error;
            wait_until([&] { return (snapshot = read_stats(stats.str(), error)).has_value(); }, 1000ms);
            return snapshot && snapshot->sum("requests") >= requests;
        },
        5000ms))
        << "no SIGUSR1 snapshot counted the " << requests << " requests";
    ASSERT_NO_FATAL_FAILURE(expect_rows(*snapshot, server.pid(), requests));
    EXPECT_TRUE(server.running()) << "SIGUSR1 stopped the server";

    server.signal(SIGTERM);
    const std::optional<int> status = server.wait_exit(10'000ms);
    ASSERT_TRUE(status) << "still running 10 s after SIGTERM";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_wait_status(*status);
    std::string error;
    const std::optional<StatsFile> at_exit = read_stats(stats.str(), error);
    ASSERT_TRUE(at_exit) << "no stats file at exit: " << error;
    ASSERT_NO_FATAL_FAILURE(expect_rows(*at_exit, server.pid(), requests));
    EXPECT_TRUE(server.stop().empty()) << "stopping left processes behind";
}

TEST_P(ThreadedServer, WithPauseTheOneChildIsThePauser) {
    ServerProcess server(PREFORK_EPOLL_BINARY, args({"--pause", "5ms/100ms"}));
    ASSERT_TRUE(server.wait_ready()) << server.describe();
    const std::vector<pid_t> children = server.children();
    EXPECT_EQ(children.size(), 1u) << "one process, so one pauser and no worker process";
    expect_serves(server.port(), "with a pauser");
    EXPECT_TRUE(server.stop().empty()) << "stopping left processes behind";
    for (pid_t child : children) EXPECT_FALSE(is_alive(child)) << "the pauser outlived the server";
}

INSTANTIATE_TEST_SUITE_P(Listeners, ThreadedServer, testing::Values("reuseport", "shared"));

TEST(ThreadedServerFlag, HelpDescribesAs) {
    const RunResult result = run_to_exit(PREFORK_EPOLL_BINARY, {"--help"}, 10'000ms);
    EXPECT_EQ(result.exit_code(), 0) << result.err;
    EXPECT_NE(result.out.find("--as"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("threads"), std::string::npos) << result.out;
}

TEST(ThreadedServerFlag, BadAsExits2NamingIt) {
    const RunResult result = run_to_exit(PREFORK_EPOLL_BINARY, {"--as", "fibres"}, 10'000ms);
    EXPECT_EQ(result.exit_code(), 2) << result.err;
    EXPECT_NE(result.err.find("--as"), std::string::npos) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_FALSE(result.printed_ready);
}

} // namespace
} // namespace itest
