// An idle-connections run's measurement against a real prefork-epoll server
// (master and two workers) on 127.0.0.1: every connection held, none
// dropped, PSS read, every probe timed; and a server that closes idle
// connections failing the run instead of looking cheap.
#include "idle_run.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <numeric>
#include <string>

#include "launch/server_launcher.hpp"
#include "scenario/scenario.hpp"
#include "support/temp_dir.hpp"

namespace pb::harness {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path build_dir = fs::path(PREFORK_BENCH_BINARY).parent_path().parent_path();

class IdleRunTest : public testing::Test {
protected:
    void use(const std::string& idle_table, const std::string& flags) {
        scenario_ = parse_scenario(fmt::format("description = \"idle test\"\nmode = \"idle-connections\"\n"
                                               "[handler]\ndelay = \"0\"\n{}\n[[server]]\nmodel = \"prefork-epoll\"\n"
                                               "flags = [{}]\n",
                                               idle_table, flags),
                                   "idle-test.toml");
        context_.scenario = &scenario_;
        context_.build_dir = build_dir;
        context_.raw_dir = dir_.path();
        context_.interrupted = &interrupted_;
        context_.run_marker = fmt::format("PREFORK_BENCH_IDLE_TEST={}", getpid());
        result_.id = 1;
        result_.mode = to_string(scenario_.mode);
    }

    std::unique_ptr<RunningServer> start() {
        ServerLaunch launch;
        launch.argv = server_command(context_, scenario_.servers[0]);
        launch.stats_file = dir_.path() / "stats.csv";
        launch.stderr_file = dir_.path() / "server-stderr.txt";
        launch.run_marker = context_.run_marker + ".1";
        return std::make_unique<RunningServer>(launch);
    }

    test_support::TempDir dir_{"prefork-bench-idle"};
    Scenario scenario_;
    RunContext context_;
    std::atomic<bool> interrupted_{false};
    RunResult result_;
};

TEST_F(IdleRunTest, HoldsEveryConnectionReadsThePssAndTimesEachProbe) {
    use("[idle]\nconnections = 300\nbatch = 50\nprobes = 10\nsettle = \"300ms\"", "\"--workers\", \"2\"");
    auto server = start();
    measure_idle(context_, *server, result_);

    const IdleResult& idle = result_.idle;
    EXPECT_TRUE(idle.measured);
    EXPECT_EQ(idle.held, 300);
    EXPECT_EQ(idle.dropped, 0);
    EXPECT_GT(idle.pss_before_bytes, 0u);
    EXPECT_GT(idle.pss_held_bytes, 0u);
    EXPECT_GT(idle.pss_after_bytes, 0u);
    EXPECT_TRUE(idle.bytes_per_connection());
    EXPECT_EQ(idle.server_processes, 3); // the master and two workers
    ASSERT_EQ(idle.probe_ms.size(), 10u);
    for (double ms : idle.probe_ms) EXPECT_GT(ms, 0);

    // The server was stopped and its counters read: the held connections
    // and the probes, each accepted once.
    EXPECT_FALSE(result_.server_killed);
    ASSERT_EQ(result_.workers.size(), 2u);
    const std::uint64_t accepted = std::accumulate(result_.workers.begin(), result_.workers.end(), std::uint64_t{0},
                                                   [](std::uint64_t sum, const WorkerRow& w) { return sum + w.connections; });
    EXPECT_EQ(accepted, 310u);

    std::ifstream probes(dir_.path() / "run-001-idle-probes.csv");
    int lines = 0;
    for (std::string line; std::getline(probes, line);) ++lines;
    EXPECT_EQ(lines, 11); // the header and one line per probe
}

TEST_F(IdleRunTest, AServerThatClosesHeldConnectionsFailsTheRun) {
    use("[idle]\nconnections = 20\nbatch = 10\nprobes = 1\nsettle = \"2s\"",
        "\"--workers\", \"1\", \"--idle-timeout\", \"50ms\"");
    auto server = start();
    try {
        measure_idle(context_, *server, result_);
        FAIL() << "no error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("the server closed"), std::string::npos) << error.what();
    }
    EXPECT_FALSE(result_.idle.measured);
    EXPECT_GT(result_.idle.dropped, 0);
    EXPECT_GT(result_.idle.pss_before_bytes, 0u);
    server->stop(2000ms);
}

TEST_F(IdleRunTest, CtrlCEndsTheRun) {
    use("[idle]\nconnections = 20\nbatch = 10\nprobes = 1\nsettle = \"0\"", "\"--workers\", \"1\"");
    auto server = start();
    interrupted_ = true;
    try {
        measure_idle(context_, *server, result_);
        FAIL() << "no error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("interrupted"), std::string::npos) << error.what();
    }
    EXPECT_FALSE(result_.idle.measured);
    server->stop(2000ms);
}

} // namespace
} // namespace pb::harness
