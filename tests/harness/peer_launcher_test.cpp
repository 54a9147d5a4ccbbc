// Starting and stopping peers with real processes on 127.0.0.1: the port
// answers before the run, and after the stop nothing of the run is left,
// also when the peer leaves children behind or escapes its process group.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/socket.hpp"
#include "launch/health_check.hpp"
#include "launch/leftover_processes.hpp"
#include "launch/peer_launcher.hpp"
#include "support/peer_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace pb::harness {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test_support::fixture_peer;
using test_support::TempDir;

const fs::path build_dir = fs::path(PREFORK_BENCH_BINARY).parent_path().parent_path();

class PeerLauncher : public testing::Test {
protected:
    PeerLaunch launch_of(const std::string& name) {
        PeerLaunch launch;
        launch.peer = fixture_peer(name);
        launch.placeholders.dir = temp.path() / "peer";
        launch.placeholders.build_dir = build_dir;
        launch.placeholders.delay = 10ms;
        launch.placeholders.workers = 2;
        launch.stdout_file = temp.path() / "stdout.txt";
        launch.stderr_file = temp.path() / "stderr.txt";
        launch.run_marker = marker;
        launch.ready_timeout = 3000ms;
        return launch;
    }

    std::string failure_of(PeerLaunch launch) {
        try {
            RunningPeer peer(std::move(launch));
            peer.stop(2000ms);
        } catch (const std::exception& error) {
            return error.what();
        }
        return "no error";
    }

    // What stopping `peer` throws; "no error" when it does not.
    static std::string stop_error(RunningPeer& peer) {
        try {
            peer.stop(5000ms);
        } catch (const std::runtime_error& error) {
            return error.what();
        }
        return "no error";
    }

    void TearDown() override {
        for (const MarkedProcess& p : processes_of_run(0, marker)) ::kill(p.pid, SIGKILL);
    }

    TempDir temp;
    const std::string marker = "PREFORK_BENCH_TEST_RUN=" + std::to_string(getpid()) + "." +
                               testing::UnitTest::GetInstance()->current_test_info()->name();
};

TEST_F(PeerLauncher, StartsOnARealPortAnswersAndStopsCompletely) {
    RunningPeer peer(launch_of("ours-as-peer"));
    EXPECT_NE(peer.port(), 0);
    EXPECT_EQ(peer.command().at(2), "127.0.0.1:" + std::to_string(peer.port()));
    EXPECT_NO_THROW(health_check(peer.port(), {"Host: localhost"}));
    EXPECT_TRUE(fs::exists(temp.path() / "peer" / "note.txt")) << "the config is rendered into the run's directory";
    EXPECT_FALSE(peer.counters_now(100ms)) << "a peer exposes no counters";
    EXPECT_EQ(processes_of_run(0, marker).size(), 3u) << "master and two workers carry the run's marker";

    EXPECT_FALSE(peer.stop(5000ms)) << "it stopped on its signal, without SIGKILL";
    EXPECT_TRUE(processes_of_run(peer.pid(), marker).empty());
    EXPECT_FALSE(port_in_use(peer.port()));
    EXPECT_TRUE(peer.final_counters().empty());
}

TEST_F(PeerLauncher, ChildrenLeftByTheFirstProcessAreStoppedToo) {
    RunningPeer peer(launch_of("leaves-children"));
    EXPECT_NO_THROW(health_check(peer.port(), {"Host: localhost"}));
    bool killed = true;
    EXPECT_NO_THROW(killed = peer.stop(5000ms));
    EXPECT_FALSE(killed) << "SIGTERM to the group was enough";
    EXPECT_TRUE(processes_of_run(0, marker).empty()) << "the server the shell left behind is gone";
    EXPECT_FALSE(port_in_use(peer.port()));
}

TEST_F(PeerLauncher, AProcessOutsideTheGroupFailsTheStopLoudlyAndIsKilled) {
    RunningPeer peer(launch_of("escapes"));
    const std::string message = stop_error(peer);
    EXPECT_NE(message.find("still running"), std::string::npos) << message;
    EXPECT_NE(message.find("sleep 60"), std::string::npos) << "names the process: " << message;
    EXPECT_EQ(message.find("still alive"), std::string::npos) << "SIGKILL worked: " << message;
    EXPECT_TRUE(processes_of_run(0, marker).empty()) << "and it was killed";
}

TEST_F(PeerLauncher, ABadExitStatusOnStopIsAnError) {
    RunningPeer peer(launch_of("fails-on-stop"));
    const std::string message = stop_error(peer);
    EXPECT_NE(message.find("exited with status 7"), std::string::npos) << message;
    EXPECT_TRUE(processes_of_run(0, marker).empty());
    EXPECT_FALSE(port_in_use(peer.port()));
}

TEST_F(PeerLauncher, ASecondStopDoesNothing) {
    RunningPeer peer(launch_of("ours-as-peer"));
    EXPECT_FALSE(peer.stop(5000ms));
    EXPECT_FALSE(peer.stop(5000ms));
}

TEST_F(PeerLauncher, ExitBeforeListeningIsAnErrorWithItsOutput) {
    const std::string message = failure_of(launch_of("exits-at-once"));
    EXPECT_NE(message.find("exited with status 3"), std::string::npos) << message;
    EXPECT_NE(message.find("cannot start"), std::string::npos) << "quotes its stderr: " << message;
}

TEST_F(PeerLauncher, APortThatNeverAnswersTimesOutAndNothingIsLeft) {
    const std::string message = failure_of(launch_of("never-listens"));
    EXPECT_NE(message.find("did not answer"), std::string::npos) << message;
    EXPECT_TRUE(processes_of_run(0, marker).empty());
}

TEST_F(PeerLauncher, AMissingProgramSaysHowToInstallIt) {
    try {
        check_peer_installed(fixture_peer("not-installed"), build_dir);
        FAIL() << "no error";
    } catch (const PeerError& error) {
        EXPECT_NE(std::string(error.what()).find("make peers"), std::string::npos) << error.what();
    }
    EXPECT_NO_THROW(check_peer_installed(fixture_peer("ours-as-peer"), build_dir));
}

TEST(MarkedProcesses, PortInUseWhileSomethingListens) {
    const std::uint16_t port = free_loopback_port();
    EXPECT_FALSE(port_in_use(port));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address = pb::loopback_address(port);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(listen(fd, 1), 0);
    EXPECT_TRUE(port_in_use(port));
    try {
        verify_nothing_left(0, "", port, 50ms);
        ADD_FAILURE() << "no error for a port in use";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find(std::to_string(port)), std::string::npos) << error.what();
    }
    close(fd);
    EXPECT_FALSE(port_in_use(port));
    EXPECT_NO_THROW(verify_nothing_left(0, "", port, 50ms));
}

} // namespace
} // namespace pb::harness
