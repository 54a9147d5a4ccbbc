#include "common/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <string>

#include "common/cpus.hpp"
#include "common/wait_status.hpp"
#include "support/temp_dir.hpp"

namespace {

using std::chrono::seconds;

pb::ChildSpec shell(const std::string& script) {
    pb::ChildSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    return spec;
}

TEST(ChildProcess, LinesOfItsStdoutInOrderThenTheEnd) {
    pb::ChildProcess child(shell("echo one; echo two"));
    EXPECT_EQ(child.read_line(seconds(10)), "one");
    EXPECT_EQ(child.read_line(seconds(10)), "two");
    EXPECT_EQ(child.read_line(seconds(10)), std::nullopt);
    EXPECT_TRUE(child.output_ended());
    EXPECT_EQ(child.output(), "one\ntwo\n");
}

TEST(ChildProcess, ExitStatusIsKept) {
    pb::ChildProcess child(shell("exit 5"));
    ASSERT_TRUE(child.wait_for(seconds(10)));
    ASSERT_TRUE(child.wait_status());
    EXPECT_EQ(pb::describe_wait_status(*child.wait_status()), "exited with status 5");
}

TEST(ChildProcess, EnvironmentIsAddedAndStdinIsEmpty) {
    pb::ChildSpec spec = shell("echo \"$PB_TEST_VALUE\"; cat; echo end");
    spec.env = {{"PB_TEST_VALUE", "forty-two"}};
    pb::ChildProcess child(spec);
    EXPECT_EQ(child.read_line(seconds(10)), "forty-two");
    EXPECT_EQ(child.read_line(seconds(10)), "end") << "cat got input other than /dev/null";
}

TEST(ChildProcess, AStdinPipeHoldsTheChildUntilItIsClosed) {
    pb::ChildSpec spec = shell("echo started; cat; echo ended");
    spec.stdin_pipe = true;
    pb::ChildProcess child(spec);
    EXPECT_EQ(child.read_line(seconds(10)), "started");
    // cat cannot end while the pipe is open: only its end lets it go.
    EXPECT_FALSE(child.exited());
    child.close_stdin();
    EXPECT_EQ(child.read_line(seconds(10)), "ended");
    ASSERT_TRUE(child.wait_for(seconds(10)));
    EXPECT_EQ(*child.wait_status(), 0);
}

TEST(ChildProcess, SignalsTheParentIgnoresAreDefaultInTheChild) {
    struct sigaction ignore {}, previous{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &previous);
    pb::ChildProcess child(shell("kill -PIPE $$; exit 0"));
    sigaction(SIGPIPE, &previous, nullptr);
    ASSERT_TRUE(child.wait_for(seconds(10)));
    EXPECT_TRUE(WIFSIGNALED(*child.wait_status()) && WTERMSIG(*child.wait_status()) == SIGPIPE)
        << pb::describe_wait_status(*child.wait_status());
}

TEST(ChildProcess, StdoutAndStderrIntoOneFile) {
    test_support::TempDir dir;
    pb::ChildSpec spec = shell("echo out; echo err >&2; echo out2");
    spec.stdout_file = spec.stderr_file = dir.path() / "log";
    pb::ChildProcess child(spec);
    ASSERT_TRUE(child.wait_for(seconds(10)));
    std::ifstream in(dir.path() / "log");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "out\nerr\nout2\n");
}

TEST(ChildProcess, PinnedToTheCpuAsked) {
    const int cpu = pb::allowed_cpus().back();
    pb::ChildSpec spec = shell("grep Cpus_allowed_list /proc/self/status");
    spec.cpus = {cpu};
    pb::ChildProcess child(spec);
    EXPECT_EQ(child.read_line(seconds(10)), "Cpus_allowed_list:\t" + std::to_string(cpu));
}

TEST(ChildProcess, KillGroupReachesWhatItLeftBehind) {
    pb::ChildProcess child(shell("sleep 60 & echo $!; exec sleep 60"));
    const auto line = child.read_line(seconds(10));
    ASSERT_TRUE(line);
    const pid_t grandchild = std::stoi(*line);
    child.kill_group();
    EXPECT_TRUE(child.wait_status());
    // The grandchild is not ours to reap: it is gone once kill(pid, 0) fails or it is a zombie of init.
    for (int i = 0; i < 500 && ::kill(grandchild, 0) == 0; ++i) {
        std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
        std::string pid, comm, state;
        if (stat >> pid >> comm >> state && state == "Z") break;
        usleep(10'000);
    }
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string pid, comm, state;
    EXPECT_TRUE(!(stat >> pid >> comm >> state) || state == "Z") << "grandchild " << grandchild << " still runs";
}

TEST(ChildProcess, AProgramThatIsNotThereThrowsNamingIt) {
    try {
        pb::ChildSpec spec;
        spec.argv = {"/no/such/program"};
        pb::ChildProcess child(spec);
        FAIL() << "no exception";
    } catch (const std::exception& error) {
        EXPECT_NE(std::string(error.what()).find("/no/such/program"), std::string::npos) << error.what();
    }
}

} // namespace

namespace {

TEST(CaptureOutput, OutputAndExitStatusWithoutAShell) {
    const auto captured = pb::capture_output({"sh", "-c", "echo 'a b'; echo err >&2; exit 4"}, false);
    ASSERT_TRUE(captured);
    EXPECT_EQ(captured->output, "a b\n") << "stderr is discarded unless asked for";
    EXPECT_EQ(captured->exit_status, 4);
}

TEST(CaptureOutput, StderrWhenAsked) {
    const auto captured = pb::capture_output({"sh", "-c", "echo out; echo err >&2"}, true);
    ASSERT_TRUE(captured);
    EXPECT_EQ(captured->output, "out\nerr\n");
}

TEST(CaptureOutput, ArgumentsAreNotInterpreted) {
    const auto captured = pb::capture_output({"echo", "$HOME;", "*"}, false);
    ASSERT_TRUE(captured);
    EXPECT_EQ(captured->output, "$HOME; *\n");
}

TEST(CaptureOutput, NothingForAMissingProgramOrAHang) {
    EXPECT_FALSE(pb::capture_output({"no-such-program-prefork-bench"}, false));
    EXPECT_FALSE(pb::capture_output({"sleep", "30"}, false, std::chrono::milliseconds(200)));
}

} // namespace
