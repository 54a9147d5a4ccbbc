// The real harness binary guarding the machine: nothing of a run outlives a
// SIGKILL of the harness, one harness at a time, leftovers of a harness that
// is gone are refused (or ended), and a sample that fails marks its run.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/program_path.hpp"
#include "guard/run_lock.hpp"
#include "guard/run_marker.hpp"
#include "launch/leftover_processes.hpp"
#include "support/harness_process.hpp"
#include "support/temp_dir.hpp"

namespace pb::harness {
namespace {

using namespace test_support;

// The port in the URL on wrk's command line, once a wrk of the run is up.
std::optional<std::uint16_t> wrk_port(const std::string& marker, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    constexpr std::string_view url = "http://127.0.0.1:";
    for (;;) {
        for (pid_t pid : processes_mentioning(marker)) {
            const std::string command = read_file("/proc/" + std::to_string(pid) + "/cmdline");
            const auto at = command.find(url);
            if (command.find("wrk") != std::string::npos && at != std::string::npos)
                return static_cast<std::uint16_t>(std::stoi(command.substr(at + url.size())));
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(20ms);
    }
}

// Until nothing mentions `marker` and nothing holds `port`, up to `timeout`.
bool run_gone_within(const std::string& marker, std::uint16_t port, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!processes_mentioning(marker).empty() || port_in_use(port)) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

nlohmann::json meta_of(const fs::path& out) { return nlohmann::json::parse(read_file(results_dir(out) / "meta.json")); }

class GuardEndToEnd : public testing::Test {
protected:
    void SetUp() override {
        if (!find_on_path("wrk")) GTEST_SKIP() << "wrk is not installed (make deps installs it)";
    }
    // A harness run of `scenario` into out-<name>, its stdout through a pipe.
    std::unique_ptr<ChildProcess> start(const fs::path& scenario, const std::string& name,
                                        std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"run", scenario.string(), "--out", (temp.path() / ("out-" + name)).string(),
                                         "--peers-dir", HARNESS_FIXTURES "/peers"};
        args.insert(args.end(), extra.begin(), extra.end());
        ChildSpec spec = harness_spec(args, {}, temp.path() / (name + ".err"));
        spec.stderr_to_stdout = true;
        return std::make_unique<ChildProcess>(spec);
    }
    TempDir temp;
};

TEST_F(GuardEndToEnd, SigkillOfTheHarnessLeavesNoProcessAndNoPortOneSecondLater) {
    // A peer whose server is a grandchild of the harness: it gets no
    // PR_SET_PDEATHSIG of ours, only the watchdog can end it.
    const fs::path scenario = temp.path() / "long.toml";
    write_scenario(scenario, "[[server]]\nkind = \"peer\"\npeer = \"leaves-children\"\n", "30s");
    auto harness = start(scenario, "killed");
    ASSERT_TRUE(wait_for_output(*harness, "[1/1] ", 60'000ms)) << harness->output();
    const std::string marker = fmt::format("{}={}.", run_marker_name, harness->pid());
    const std::optional<std::uint16_t> port = wrk_port(marker, 30'000ms);
    ASSERT_TRUE(port) << "wrk never started: " << harness->output();

    ::kill(harness->pid(), SIGKILL); // the harness only, as an OOM kill or `kill -9` would
    ASSERT_TRUE(harness->wait_for(5'000ms));
    EXPECT_TRUE(run_gone_within(marker, *port, 1'000ms))
        << "1 s after the SIGKILL, processes of the run: " << processes_mentioning(marker).size()
        << ", port " << *port << (port_in_use(*port) ? " still in use" : " free");
}

TEST_F(GuardEndToEnd, ASecondHarnessWaitsForTheFirstAndRunsAfterIt) {
    const fs::path scenario = temp.path() / "short.toml";
    write_scenario(scenario, "[[server]]\nmodel = \"prefork-epoll\"\n", "1s");
    const std::string lock = (temp.path() / "machine.lock").string();
    auto first = start(scenario, "first", {"--lock", lock});
    ASSERT_TRUE(wait_for_output(*first, "results: ", 60'000ms)) << first->output(); // it holds the lock
    auto second = start(scenario, "second", {"--lock", lock});
    ASSERT_TRUE(wait_for_output(*second, "waiting for the harness that holds", 30'000ms)) << second->output();
    EXPECT_NE(second->output().find("PID " + std::to_string(first->pid())), std::string::npos)
        << "it says for whom it waits: " << second->output();

    const Outcome one = finish(*first, {}, temp.path() / "first.err");
    const Outcome two = finish(*second, {}, temp.path() / "second.err");
    ASSERT_EQ(one.status, 0) << one.output;
    ASSERT_EQ(two.status, 0) << two.output;
    const nlohmann::json a = meta_of(temp.path() / "out-first"), b = meta_of(temp.path() / "out-second");
    EXPECT_GE(b["started_utc"].get<std::string>(), a["ended_utc"].get<std::string>())
        << "the second measured while the first still ran";
}

TEST_F(GuardEndToEnd, NoWaitRefusesAtOnceNamingTheHolder) {
    const fs::path scenario = temp.path() / "short.toml";
    write_scenario(scenario, "[[server]]\nmodel = \"prefork-epoll\"\n", "1s");
    const std::string lock = (temp.path() / "machine.lock").string();
    auto first = start(scenario, "first", {"--lock", lock});
    ASSERT_TRUE(wait_for_output(*first, "results: ", 60'000ms)) << first->output();
    auto second = start(scenario, "second", {"--lock", lock, "--no-wait"});
    const Outcome refused = finish(*second, {}, temp.path() / "second.err");
    EXPECT_EQ(refused.status, 2) << refused.output;
    EXPECT_NE(refused.output.find("PID " + std::to_string(first->pid())), std::string::npos) << refused.output;
    EXPECT_FALSE(fs::exists(temp.path() / "out-second")) << "a refused harness writes no results";
    EXPECT_EQ(finish(*first, {}, temp.path() / "first.err").status, 0);
}

TEST_F(GuardEndToEnd, LeftoversOfAGoneHarnessAreRefusedThenEndedWithKillLeftovers) {
    // The fake leftover below looks like an earlier harness's to every
    // harness on this machine: hold the machine's lock meanwhile, so that a
    // real one waits rather than refuses (the two here use locks of their own).
    const std::atomic<bool> never{false};
    const RunLock machine(default_lock_file(), RunLock::Wait::yes, "harness_process_tests (a fake leftover)", {}, never);
    const pid_t gone = [] {
        const pid_t child = ::fork();
        if (child == 0) ::_exit(0);
        int status = 0;
        ::waitpid(child, &status, 0);
        return child;
    }();
    ChildSpec sleeper;
    sleeper.argv = {"/bin/sleep", "60"};
    sleeper.env.emplace_back(std::string(run_marker_name), fmt::format("{}.1", gone));
    ChildProcess left(sleeper);
    ASSERT_TRUE(wait_for_process_mentioning(fmt::format("{}={}.1", run_marker_name, gone), 10'000ms)) << "it never exec'd";
    const fs::path scenario = temp.path() / "short.toml";
    write_scenario(scenario, "[[server]]\nmodel = \"prefork-epoll\"\n", "1s");

    auto refused = start(scenario, "refused");
    const Outcome no = finish(*refused, {}, temp.path() / "refused.err");
    EXPECT_EQ(no.status, 2) << no.output;
    EXPECT_NE(no.output.find(std::to_string(left.pid()) + " (/bin/sleep 60)"), std::string::npos) << no.output;
    EXPECT_NE(no.output.find("--kill-leftovers"), std::string::npos) << no.output;
    EXPECT_FALSE(left.exited());

    auto cleaning = start(scenario, "cleaning", {"--kill-leftovers"});
    const Outcome yes = finish(*cleaning, {}, temp.path() / "cleaning.err");
    EXPECT_EQ(yes.status, 0) << yes.output;
    EXPECT_NE(yes.output.find("killed 1 process(es)"), std::string::npos) << yes.output;
    EXPECT_TRUE(left.wait_for(5'000ms)) << "the leftover still runs";
}

TEST_F(GuardEndToEnd, AServerThatVanishesFromTheSamplesMarksTheRunSuspect) {
    const fs::path scenario = temp.path() / "root-exits.toml";
    write_scenario(scenario, "[[server]]\nkind = \"peer\"\npeer = \"root-exits\"\n", "1s");
    auto harness = start(scenario, "suspect");
    const Outcome outcome = finish(*harness, {}, temp.path() / "suspect.err");
    EXPECT_EQ(outcome.status, 1) << "a suspect run is no success: " << outcome.output;
    const std::vector<std::string> runs = lines_of(results_dir(temp.path() / "out-suspect") / "runs.csv");
    ASSERT_EQ(runs.size(), 2u) << outcome.output;
    const std::vector<std::string> header = split_csv_line(runs[0]), row = split_csv_line(runs[1]);
    const auto at = [&](const std::string& name) {
        return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    };
    ASSERT_LT(at("reason"), header.size());
    EXPECT_EQ(row[at("status")], "suspect") << runs[1];
    EXPECT_NE(row[at("reason")].find("sampling the server: process"), std::string::npos) << runs[1];
    EXPECT_NE(row[at("reason")].find("is gone"), std::string::npos) << runs[1];
    EXPECT_NE(row[at("requests_per_s")], "") << "a suspect run keeps its figures: " << runs[1];
}

} // namespace
} // namespace pb::harness
