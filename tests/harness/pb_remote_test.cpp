// pb-remote, the program the harness runs on a host over SSH, run here as a
// process the way ssh would run it: its stdin a pipe the "channel" holds.
#include <gtest/gtest.h>

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <sstream>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/child_process.hpp"
#include "common/file_text.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;

std::vector<std::string> pb_remote(std::vector<std::string> args) {
    args.insert(args.begin(), PB_REMOTE_BINARY);
    return args;
}

// pb-remote with stdin a pipe held open until close_stdin(), stdout a pipe, stderr into it.
std::unique_ptr<pb::ChildProcess> start(std::vector<std::string> args) {
    pb::ChildSpec spec;
    spec.argv = pb_remote(std::move(args));
    spec.stdin_pipe = true;
    spec.stderr_to_stdout = true;
    spec.die_with_parent = true;
    return std::make_unique<pb::ChildProcess>(spec);
}

std::string next_line(pb::ChildProcess& process) { return process.read_line(20s).value_or("(no line)"); }

int exit_code(pb::ChildProcess& process) {
    EXPECT_TRUE(process.wait_for(30s));
    const int status = process.wait_status().value_or(-1);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::int64_t number_after(const std::string& line, const std::string& key) {
    const auto at = line.find(key + " ");
    if (at == std::string::npos) return -1;
    std::int64_t value = -1;
    const char* begin = line.data() + at + key.size() + 1;
    std::from_chars(begin, line.data() + line.size(), value);
    return value;
}

std::int64_t realtime_ns() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// Gone, or a zombie nobody has reaped yet: either way it runs no more.
bool runs(pid_t pid) {
    const std::optional<std::string> stat = pb::read_whole_file(fmt::format("/proc/{}/stat", pid));
    if (!stat) return false;
    const auto close = stat->rfind(')');
    return close != std::string::npos && stat->size() > close + 2 && (*stat)[close + 2] != 'Z';
}

TEST(PbRemoteRun, SaysThePidBeforeAnythingTheCommandPrintsAndItsExitLast) {
    auto process = start({"run", "--", "/bin/sh", "-c", "echo hello; exit 3"});
    const std::string first = next_line(*process);
    EXPECT_EQ(first.rfind("pb-remote: pid ", 0), 0u) << first;
    EXPECT_GT(number_after(first, "pid"), 0);
    EXPECT_GT(number_after(first, "started_ns"), 0);
    EXPECT_EQ(next_line(*process), "hello");
    EXPECT_EQ(next_line(*process), "pb-remote: exit exited with status 3");
    EXPECT_EQ(exit_code(*process), 3);
}

TEST(PbRemoteRun, TheEndOfStdinStopsTheCommandWithSigterm) {
    auto process = start({"run", "--", "/bin/sleep", "60"});
    const pid_t child = static_cast<pid_t>(number_after(next_line(*process), "pid"));
    ASSERT_GT(child, 0);
    EXPECT_TRUE(runs(child));
    process->close_stdin(); // the channel closes: the harness stopped it, or died
    EXPECT_EQ(next_line(*process), "pb-remote: exit was killed by signal 15 (Terminated)");
    EXPECT_EQ(exit_code(*process), 128 + SIGTERM);
    EXPECT_FALSE(runs(child));
}

TEST(PbRemoteRun, ACommandThatIgnoresSigtermLosesItsWholeGroupAfterTheGrace) {
    auto process = start({"run", "--grace-ms", "200", "--", "/bin/sh", "-c", "trap '' TERM; sleep 60 & echo $!; wait"});
    ASSERT_GT(number_after(next_line(*process), "pid"), 0);
    pid_t grandchild = 0;
    const std::string line = next_line(*process);
    std::from_chars(line.data(), line.data() + line.size(), grandchild);
    ASSERT_GT(grandchild, 0) << line;
    process->close_stdin();
    EXPECT_EQ(next_line(*process), "pb-remote: exit was killed by signal 9 (Killed)");
    EXPECT_EQ(exit_code(*process), 128 + SIGKILL);
    EXPECT_FALSE(runs(grandchild));
}

TEST(PbRemoteRun, TheEnvironmentReachesTheCommandAndItsOptionsAreItsOwn) {
    auto process = start({"run", "--env", "PB_A=1", "--env", "PB_B=two words", "--", "/bin/sh", "-c", "echo \"$PB_A|$PB_B\""});
    next_line(*process);
    EXPECT_EQ(next_line(*process), "1|two words");
    EXPECT_EQ(exit_code(*process), 0);
}

TEST(PbRemoteRun, WithSamplingSaysTheCommandsUsageBeforeItsExit) {
    auto process = start({"run", "--sample-ms", "10", "--", "/bin/sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"});
    next_line(*process);
    const std::string usage = next_line(*process);
    ASSERT_EQ(usage.rfind("pb-remote: usage ", 0), 0u) << usage;
    const nlohmann::json json = nlohmann::json::parse(usage.substr(17));
    EXPECT_GT(json["usage"]["user_s"].get<double>() + json["usage"]["system_s"].get<double>(), 0) << usage;
    EXPECT_EQ(json["error"], "");
    EXPECT_EQ(next_line(*process), "pb-remote: exit exited with status 0");
    EXPECT_EQ(exit_code(*process), 0);
}

TEST(PbRemoteRun, StartsNoEarlierThanTheAgreedTime) {
    const std::int64_t at = realtime_ns() + 300'000'000;
    auto process = start({"run", "--start-at-ns", std::to_string(at), "--", "/bin/true"});
    const std::int64_t started = number_after(next_line(*process), "started_ns");
    EXPECT_GE(started, at);
    EXPECT_EQ(exit_code(*process), 0);
}

TEST(PbRemoteRun, AStopBeforeTheStartTimeStartsNothing) {
    auto process = start({"run", "--start-at-ns", std::to_string(realtime_ns() + 600'000'000'000), "--", "/bin/true"});
    process->close_stdin();
    EXPECT_EQ(next_line(*process), "pb-remote: exit stopped before the start time");
    EXPECT_EQ(exit_code(*process), 128 + SIGTERM);
}

TEST(PbRemoteLeftovers, FindsAndEndsWhatCarriesTheMarker) {
    const std::string marker = fmt::format("PB_REMOTE_TEST_MARK={}", getpid());
    auto process = start({"run", "--env", marker, "--", "/bin/sleep", "60"});
    const pid_t child = static_cast<pid_t>(number_after(next_line(*process), "pid"));
    const auto found = pb::capture_output(pb_remote({"leftovers", "--marker", marker, "--kill"}), true);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->exit_status, 1);
    EXPECT_NE(found->output.find(std::to_string(child)), std::string::npos) << found->output;
    EXPECT_EQ(next_line(*process), "pb-remote: exit was killed by signal 9 (Killed)");
    exit_code(*process);
    const auto none = pb::capture_output(pb_remote({"leftovers", "--marker", marker}), true);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->exit_status, 0);
    EXPECT_EQ(none->output, "none\n");
}

// CPU ticks (utime + stime) of a process so far.
long ticks_of(pid_t pid) {
    const std::string stat = pb::read_whole_file(fmt::format("/proc/{}/stat", pid)).value_or("");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {
        if (i == 14) utime = std::stol(field);
        if (i == 15) {
            stime = std::stol(field);
            break;
        }
    }
    return utime + stime;
}

TEST(PbRemoteSample, ReportsATreesUsageOverTheWindowStdinBounds) {
    pb::ChildSpec spec;
    spec.argv = {"/bin/sh", "-c", "while :; do :; done"};
    spec.die_with_parent = true;
    pb::ChildProcess burner(spec);
    auto sampler = start({"sample", "--pid", std::to_string(burner.pid()), "--interval-ms", "20"});
    EXPECT_EQ(next_line(*sampler), "pb-remote: sampling");
    // The window holds CPU time once the burner has gained some since it opened.
    const long opened = ticks_of(burner.pid());
    while (ticks_of(burner.pid()) < opened + 5) std::this_thread::sleep_for(10ms);
    sampler->close_stdin();
    const nlohmann::json report = nlohmann::json::parse(next_line(*sampler));
    burner.kill_group();
    EXPECT_EQ(exit_code(*sampler), 0);
    EXPECT_EQ(report["error"], "");
    EXPECT_GT(report["usage"]["user_s"].get<double>() + report["usage"]["system_s"].get<double>(), 0) << report.dump();
    EXPECT_EQ(report["usage"]["processes"], 1);
    EXPECT_GE(report["cost"]["samples"].get<int>(), 2);
}

TEST(PbRemoteCounters, SignalsTheServerAndPrintsTheFileItWrites) {
    const test_support::TempDir dir;
    const std::filesystem::path stats = dir.path() / "stats.csv";
    // A stand-in server: on SIGUSR1 it writes the file whole and renames it into place.
    pb::ChildSpec spec;
    spec.argv = {"/bin/sh", "-c",
                 fmt::format("trap 'echo worker,requests > {0}.tmp; echo 0,42 >> {0}.tmp; mv {0}.tmp {0}' USR1; echo ready; "
                             "while :; do sleep 0.05; done",
                             stats.string())};
    spec.die_with_parent = true;
    pb::ChildProcess server(spec);
    ASSERT_EQ(server.read_line(10s).value_or(""), "ready");
    const auto printed = pb::capture_output(
        pb_remote({"counters", "--pid", std::to_string(server.pid()), "--stats", stats.string()}), true);
    server.kill_group();
    ASSERT_TRUE(printed);
    EXPECT_EQ(printed->exit_status, 0) << printed->output;
    EXPECT_EQ(printed->output, "worker,requests\n0,42\n");
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "stats.baseline.csv"));
    EXPECT_FALSE(std::filesystem::exists(stats));
}

TEST(PbRemote, FactsAndClockAreWhatTheHarnessReads) {
    const auto facts = pb::capture_output(pb_remote({"facts"}), false);
    ASSERT_TRUE(facts);
    const nlohmann::json json = nlohmann::json::parse(facts->output);
    for (const char* key : {"hostname", "kernel", "cpu_model", "online_cpus", "cpu_governor", "network_interfaces"})
        EXPECT_TRUE(json.contains(key)) << key;
    const std::int64_t before = realtime_ns();
    const auto clock = pb::capture_output(pb_remote({"clock"}), false);
    ASSERT_TRUE(clock);
    const std::int64_t read = std::stoll(clock->output);
    EXPECT_GE(read, before);
    EXPECT_LE(read, realtime_ns());
}

TEST(PbRemote, ClockEchoSaysTheTimeForEveryLineUntilStdinEnds) {
    auto echo = start({"clock", "--echo"});
    const std::int64_t before = realtime_ns();
    echo->write_stdin("\n");
    const std::int64_t first = std::stoll(next_line(*echo));
    echo->write_stdin("\n");
    const std::int64_t second = std::stoll(next_line(*echo));
    EXPECT_GE(first, before);
    EXPECT_GE(second, first);
    echo->close_stdin();
    EXPECT_EQ(exit_code(*echo), 0);
}

TEST(PbRemote, AMistakeIsOneLineAndStatus2) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"run"}, {"facts", "--", "x"}, {"sample"}, {"counters", "--pid", "1"}, {"nonsense"}}) {
        const auto done = pb::capture_output(pb_remote(args), true);
        ASSERT_TRUE(done);
        EXPECT_EQ(done->exit_status, 2) << args[0];
        EXPECT_EQ(done->output.rfind("pb-remote: ", 0), 0u) << done->output;
        EXPECT_EQ(std::count(done->output.begin(), done->output.end(), '\n'), 1) << done->output;
    }
}

} // namespace
