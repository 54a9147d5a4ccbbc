// --pause P/T: every serving process is stopped (SIGSTOP) for P once every
// T by a pauser child of its own. Quick sequential requests on one
// keep-alive connection then show stalls, and none without --pause; the
// pausers hold no socket and print nothing; and none outlives the server,
// whether it is stopped with SIGTERM (while stopped, too) or killed.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_test.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

constexpr milliseconds stall{20};

std::string comm_of(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(file, name);
    return name;
}

std::string link_of(pid_t pid, int fd) {
    char target[256];
    const std::string link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    const ssize_t n = readlink(link.c_str(), target, sizeof target);
    return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

std::size_t open_descriptors(pid_t pid) {
    std::error_code ignored;
    const std::filesystem::directory_iterator fds("/proc/" + std::to_string(pid) + "/fd", ignored);
    return static_cast<std::size_t>(std::distance(begin(fds), end(fds)));
}

class Pause : public ServerTest {
protected:
    // The processes that serve: a forking server's workers, else the server.
    std::vector<pid_t> serving() {
        return GetParam().forking ? server().children() : std::vector<pid_t>{server().pid()};
    }

    // The pauser of each serving process: its one child.
    std::vector<pid_t> pausers() {
        std::vector<pid_t> found;
        for (pid_t process : serving())
            for (pid_t child : live_children_of(process)) found.push_back(child);
        return found;
    }

    // Sequential requests on one connection for at least two periods of
    // the schedule below and at least 40 requests: how many took >= 20 ms.
    int stalled_requests() {
        HttpClient client(port());
        EXPECT_TRUE(client.connected()) << client.error();
        int requests = 0, stalled = 0;
        const auto until = Clock::now() + 300ms;
        while (requests < 40 || Clock::now() < until) {
            const auto begin = Clock::now();
            if (!client.send(simple_get)) {
                ADD_FAILURE() << "request " << requests << ": " << client.error();
                break;
            }
            const ReadResult result = client.read_response();
            if (result.status() != 200) {
                ADD_FAILURE() << "request " << requests << ": " << result;
                break;
            }
            if (Clock::now() - begin >= stall) ++stalled;
            ++requests;
        }
        return stalled;
    }
};

const std::vector<std::string> half_stopped = {"--delay", "0", "--pause", "50ms/100ms"};

TEST_P(Pause, QuickRequestsStallWithPause) {
    ASSERT_NO_FATAL_FAILURE(start(half_stopped));
    EXPECT_GE(stalled_requests(), 1) << "no request waited out a 50 ms stop in 300 ms of requests";
}

TEST_P(Pause, QuickRequestsDoNotStallWithoutPause) {
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "0"}));
    EXPECT_TRUE(pausers().empty()) << "a pauser without --pause";
    EXPECT_EQ(stalled_requests(), 0) << "requests took >= " << stall.count() << " ms without --pause";
}

TEST_P(Pause, EachServingProcessHasOnePauserThatHoldsNoSocket) {
    ASSERT_NO_FATAL_FAILURE(start(half_stopped));
    const std::vector<pid_t> processes = serving();
    for (pid_t process : processes) {
        const std::vector<pid_t> children = live_children_of(process);
        ASSERT_EQ(children.size(), 1u) << "children of serving process " << process;
        const pid_t pauser = children.front();
        EXPECT_EQ(comm_of(pauser), "pb-pauser");
        // Its descriptors: stdin, stdout, stderr, the socket to its parent and its timer.
        EXPECT_EQ(open_sockets(pauser), 1u) << "the pauser holds a socket besides its control socket (the listener?)";
        EXPECT_EQ(open_descriptors(pauser), 5u) << "the pauser holds descriptors it does not need";
        EXPECT_EQ(link_of(pauser, STDOUT_FILENO), "/dev/null") << "the pauser's stdout is the ready line's pipe";
    }
    expect_serves(port(), "with pausers");
}

TEST_P(Pause, SigtermStopsServerAndPausersPromptly) {
    // Stopped half of the time, so SIGTERM often arrives while stopped.
    ASSERT_NO_FATAL_FAILURE(start(half_stopped));
    const std::vector<pid_t> known = pausers();
    ASSERT_EQ(known.size(), serving().size()) << "one pauser per serving process";
    expect_serves(port(), "before SIGTERM");
    const auto begin = Clock::now();
    server().signal(SIGTERM);
    const std::optional<int> status = server().wait_exit(5000ms);
    ASSERT_TRUE(status) << "still running 5 s after SIGTERM";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_wait_status(*status);
    EXPECT_LT(Clock::now() - begin, 2000ms) << "a stop took " << ms_of(Clock::now() - begin) << " ms";
    // Each pauser is reaped by its process before that process exits.
    for (pid_t pauser : known) EXPECT_FALSE(is_alive(pauser)) << "pauser " << pauser << " outlived the server";
}

TEST_P(Pause, PausersDieWhenTheServerIsKilled) {
    ASSERT_NO_FATAL_FAILURE(start(half_stopped));
    const std::vector<pid_t> known = pausers();
    ASSERT_EQ(known.size(), serving().size()) << "one pauser per serving process";
    server().signal(SIGKILL);
    ASSERT_TRUE(server().wait_exit(5000ms)) << "still running 5 s after SIGKILL";
    // PR_SET_PDEATHSIG: the workers die with the master, the pausers with
    // their parent. Orphans come to the test (a subreaper) to be reaped.
    for (pid_t pauser : known) {
        EXPECT_TRUE(wait_until(
            [&] {
                reap_orphan_zombies();
                return !is_alive(pauser);
            },
            2000ms))
            << "pauser " << pauser << " outlived its killed server by 2 s";
    }
}

INSTANTIATE_TEST_SUITE_P(Servers, Pause, testing::ValuesIn(all_configs()), config_name);

} // namespace
} // namespace itest
