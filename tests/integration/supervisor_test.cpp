// The master of the forking servers: it replaces a child that dies, and its
// children do not outlive it when it is killed.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_test.hpp"
#include "stats_csv.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

class Supervisor : public ServerTest {
protected:
    // Waits up to `timeout` for the master to have `workers()` live children
    // none of which is in `gone`; returns them (or what there was at the end).
    std::vector<pid_t> wait_for_replacements(const std::vector<pid_t>& gone, milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        std::vector<pid_t> now;
        for (;;) {
            now = server().children();
            bool fresh = std::none_of(now.begin(), now.end(), [&](pid_t pid) {
                return std::find(gone.begin(), gone.end(), pid) != gone.end();
            });
            if (fresh && now.size() == static_cast<std::size_t>(workers())) return now;
            if (Clock::now() >= deadline) return now;
            std::this_thread::sleep_for(20ms);
        }
    }

    void expect_service(int connections, const std::string& context) {
        for (int i = 0; i < connections; ++i) expect_serves(port(), context + ", connection " + std::to_string(i));
    }
};

TEST_P(Supervisor, OneChildPerWorker) {
    ASSERT_NO_FATAL_FAILURE(start());
    EXPECT_EQ(server().children().size(), static_cast<std::size_t>(workers()));
}

TEST_P(Supervisor, KilledChildIsReplacedAndServiceContinues) {
    TempPath stats("itest-stats");
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "10ms", "--stats", stats.str()}));
    std::vector<pid_t> before = server().children();
    ASSERT_EQ(before.size(), static_cast<std::size_t>(workers()));
    const pid_t victim = before.front();
    ASSERT_EQ(kill(victim, SIGKILL), 0);

    std::vector<pid_t> after = wait_for_replacements({victim}, 2000ms);
    ASSERT_EQ(after.size(), static_cast<std::size_t>(workers()))
        << "no replacement for the killed child within 2 s\n" << server().describe();
    EXPECT_EQ(std::find(after.begin(), after.end(), victim), after.end());
    for (pid_t pid : before) {
        if (pid != victim) {
            EXPECT_NE(std::find(after.begin(), after.end(), pid), after.end()) << "child " << pid << " was replaced too";
        }
    }
    expect_service(10, "after the respawn");

    // One row per slot, not per process, and the slot counts its respawn.
    server().signal(SIGTERM);
    std::optional<int> status = server().wait_exit(10'000ms);
    ASSERT_TRUE(status.has_value()) << "still running 10 s after SIGTERM";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_wait_status(*status);
    std::string error;
    std::optional<StatsFile> file = read_stats(stats.str(), error);
    ASSERT_TRUE(file.has_value()) << error;
    EXPECT_EQ(file->rows.size(), static_cast<std::size_t>(workers()));
    EXPECT_EQ(file->sum("respawns"), 1u);
}

TEST_P(Supervisor, AllChildrenKilledAtOnceAreReplaced) {
    // Whichever child holds the accept mutex (accept-mutex servers) dies too:
    // the mutex must not stay locked by a dead process.
    ASSERT_NO_FATAL_FAILURE(start());
    std::vector<pid_t> before = server().children();
    ASSERT_EQ(before.size(), static_cast<std::size_t>(workers()));
    for (pid_t pid : before) {
        ASSERT_EQ(kill(pid, SIGKILL), 0);
    }
    std::vector<pid_t> after = wait_for_replacements(before, 2000ms);
    ASSERT_EQ(after.size(), static_cast<std::size_t>(workers()))
        << "the killed children were not all replaced within 2 s\n" << server().describe();
    // With every child gone nothing listened (reuseport: each child opens its
    // own listener once it runs): wait until a replacement answers.
    const auto deadline = Clock::now() + 2000ms;
    while (!fetch(port()).ok() && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
    expect_service(10, "after every child was replaced");
    EXPECT_TRUE(server().running());
}

// A crash loop must not go on for ever: more than 10 deaths within 10 s
// stop the server with a non-zero status and a message, leaving no child.
// The test kills 11 of 12 workers it knows are ready (the server said so),
// and nothing else: a replacement killed before its ready report would be a
// startup failure instead, and once the master exits a child of its may be
// the leak checker's tracer (AddressSanitizer), which must not be killed.
TEST_P(Supervisor, CrashLoopStopsTheServer) {
    constexpr std::size_t deaths = 11;
    TempPath stats("itest-stats");
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "10ms", "--stats", stats.str()}, static_cast<int>(deaths) + 1));
    const std::vector<pid_t> ready = server().children();
    ASSERT_EQ(ready.size(), deaths + 1);
    const std::vector<pid_t> killed(ready.begin(), ready.begin() + static_cast<std::ptrdiff_t>(deaths));
    for (std::size_t i = 0; i + 1 < killed.size(); ++i) ASSERT_EQ(kill(killed[i], SIGKILL), 0);
    // Replacements and the last of the first workers: all must go with the master.
    const std::vector<pid_t> before_last = wait_for_replacements(
        std::vector<pid_t>(killed.begin(), killed.end() - 1), 4000ms);
    ASSERT_EQ(before_last.size(), deaths + 1) << "the first ten deaths were not all replaced\n" << server().describe();
    ASSERT_EQ(kill(killed.back(), SIGKILL), 0);

    std::optional<int> status = server().wait_exit(10'000ms);
    ASSERT_TRUE(status.has_value()) << "still running after " << deaths << " child deaths\n" << server().describe();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << describe_wait_status(*status);
    const std::string text = server().stderr_text();
    EXPECT_NE(text.find("11 workers died within 10 s; stopping"), std::string::npos) << text;
    EXPECT_NE(text.find("; not replaced"), std::string::npos) << "the eleventh death was replaced\n" << text;
    for (pid_t child : before_last) EXPECT_FALSE(is_alive(child)) << "child " << child << " outlived the master";
    // The log aside, the counters: ten replacements, none for the eleventh.
    std::string error;
    std::optional<StatsFile> file = read_stats(stats.str(), error);
    ASSERT_TRUE(file.has_value()) << error;
    EXPECT_EQ(file->sum("respawns"), deaths - 1);
}

TEST_P(Supervisor, ChildrenDieWithKilledMaster) {
    ASSERT_NO_FATAL_FAILURE(start());
    std::vector<pid_t> children = server().children();
    ASSERT_EQ(children.size(), static_cast<std::size_t>(workers()));
    server().signal(SIGKILL);
    ASSERT_TRUE(server().wait_exit(2000ms).has_value()) << "the master survived SIGKILL";

    // The orphans are re-parented to the test (a child subreaper): reap them
    // as they die. A zombie counts as dead.
    const auto deadline = Clock::now() + 2000ms;
    std::vector<pid_t> alive;
    for (;;) {
        reap_orphan_zombies();
        alive.clear();
        for (pid_t pid : children)
            if (is_alive(pid)) alive.push_back(pid);
        if (alive.empty() || Clock::now() >= deadline) break;
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(alive.empty()) << alive.size() << " of " << children.size()
                               << " children still alive 2 s after the master was killed";
    // Nothing else escaped either: the test has no live child left.
    EXPECT_TRUE(live_children_of(getpid()).empty());
}

// A graceful drain (SIGTERM to a worker) answers what clients had already
// sent: a keep-alive request that arrived while the worker was busy, after
// the signal, gets its response with Connection: close and a plain close,
// never a reset. (Restarts under load: scenarios/when/restart.toml.)
TEST_P(Supervisor, ADrainAnswersARequestThatArrivedWhileTheWorkerWasBusy) {
    if (GetParam().name.find("blocking") != std::string::npos)
        GTEST_SKIP() << "one connection at a time: a second waits in the accept queue, not in the worker";
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "0", "--work", "300ms"}, 1));
    HttpClient kept(port());
    ASSERT_TRUE(kept.send(simple_get)) << kept.error();
    ASSERT_TRUE(kept.read_response().ok()) << "the kept-alive connection's first request";
    HttpClient busy(port());
    ASSERT_TRUE(busy.send(simple_get)) << busy.error();
    const std::vector<pid_t> workers = server().children();
    ASSERT_EQ(workers.size(), 1u);
    // The worker burns 300 ms of CPU for `busy`: the signal and the next
    // request both arrive meanwhile, the signal first.
    ASSERT_TRUE(wait_until([&] {
        const std::optional<ProcStat> stat = read_proc_stat(workers[0]);
        return stat && stat->state == 'R';
    }, 2000ms)) << "the worker never ran";
    ASSERT_EQ(kill(workers[0], SIGTERM), 0);
    ASSERT_TRUE(kept.send(simple_get)) << kept.error();
    const ReadResult first = busy.read_response(false, 3000ms);
    EXPECT_EQ(first.status(), 200) << first;
    const ReadResult second = kept.read_response(false, 3000ms);
    ASSERT_EQ(second.status(), 200) << "the request sent after the signal: " << second;
    EXPECT_EQ(second.response.header("Connection").value_or(""), "close");
    EXPECT_EQ(kept.wait_closed(3000ms), CloseOutcome::closed);
}

INSTANTIATE_TEST_SUITE_P(Servers, Supervisor, testing::ValuesIn(forking_configs()), config_name);

} // namespace
} // namespace itest
