// The command line every binary shares: --help, --version, rejected flags and
// values (exit 2, one line naming the flag), accepted duration forms, and a
// listen address that is taken.
#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "server_test.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

constexpr milliseconds exit_timeout{10'000};

std::size_t line_count(const std::string& text) {
    std::size_t lines = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) ++lines;
        start = end + 1;
    }
    return lines;
}

class CommandLine : public testing::TestWithParam<ServerConfig> {
protected:
    // Runs the binary with `args`; expects exit code 2 and exactly one line on
    // stderr that names `flag`.
    void expect_rejected(const std::vector<std::string>& args, const std::string& flag) {
        std::string command;
        for (const std::string& arg : args) command += " " + arg;
        SCOPED_TRACE("arguments:" + command);
        RunResult result = run_to_exit(GetParam().binary, args, exit_timeout);
        ASSERT_TRUE(result.status.has_value()) << "did not exit within 10 s";
        EXPECT_EQ(result.exit_code(), 2) << describe_wait_status(*result.status) << "\nstderr: " << result.err;
        EXPECT_NE(result.err.find(flag), std::string::npos) << "stderr does not name " << flag << ": " << result.err;
        EXPECT_EQ(line_count(result.err), 1u) << "stderr: " << result.err;
        EXPECT_FALSE(result.printed_ready);
    }
};

TEST_P(CommandLine, HelpExitsZeroAndDescribesDelay) {
    RunResult result = run_to_exit(GetParam().binary, {"--help"}, exit_timeout);
    ASSERT_TRUE(result.status.has_value()) << "did not exit within 10 s";
    EXPECT_EQ(result.exit_code(), 0) << describe_wait_status(*result.status) << "\nstderr: " << result.err;
    EXPECT_NE(result.out.find("--delay"), std::string::npos) << "usage on stdout: " << result.out;
    for (const char* flag :
         {"--listen", "--workers", "--stats", "--drain-timeout", "--cost-from-request", "--max-cost",
          "--critical-section", "--pause"}) {
        EXPECT_NE(result.out.find(flag), std::string::npos) << flag << " missing from usage";
    }
    if (!GetParam().model_flag.empty()) {
        EXPECT_NE(result.out.find(GetParam().model_flag), std::string::npos)
            << GetParam().model_flag << " missing from usage";
    }
    EXPECT_FALSE(result.printed_ready);
}

TEST_P(CommandLine, VersionExitsZero) {
    RunResult result = run_to_exit(GetParam().binary, {"--version"}, exit_timeout);
    ASSERT_TRUE(result.status.has_value()) << "did not exit within 10 s";
    EXPECT_EQ(result.exit_code(), 0) << describe_wait_status(*result.status) << "\nstderr: " << result.err;
    EXPECT_EQ(line_count(result.out), 1u) << "stdout: " << result.out;
    EXPECT_FALSE(result.printed_ready);
}

TEST_P(CommandLine, UnknownFlagExits2NamingIt) { expect_rejected({"--bogus"}, "--bogus"); }

TEST_P(CommandLine, BadDelayExits2NamingIt) { expect_rejected({"--delay", "abc"}, "--delay"); }

TEST_P(CommandLine, BadValuesExit2NamingTheFlag) {
    const std::vector<std::vector<std::string>> cases = {
        {"--workers", "abc"},         {"--workers", "0"},       {"--listen", "nonsense"},
        {"--listen", "127.0.0.1:99999"}, {"--work", "5parsecs"}, {"--idle-timeout", "-1s"},
        {"--header-timeout", "x"},    {"--drain-timeout", "1.2.3s"}, {"--backlog", "many"},
        {"--max-cost", "soon"},       {"--max-cost", "-1s"},
        {"--critical-section", "1.5"}, {"--critical-section", "-0.1"}, {"--critical-section", "half"},
        {"--critical-section", "nan"}, {"--pause", "5ms"},           {"--pause", "100ms/5ms"},
        {"--pause", "5ms/5ms"},       {"--pause", "0/100ms"},       {"--pause", "x/100ms"},
        {"--pause", "5ms/100ms/1s"},
    };
    for (const auto& args : cases) expect_rejected(args, args.front());
    if (!GetParam().model_flag.empty()) {
        expect_rejected({GetParam().model_flag, "bogus"}, GetParam().model_flag);
    }
}

// The new flags' accepted forms start a server (the bounds included).
TEST_P(CommandLine, AcceptsCriticalSectionAndPauseForms) {
    const std::vector<std::vector<std::string>> cases = {
        {"--critical-section", "0"}, {"--critical-section", "0.25"}, {"--critical-section", "1"},
        {"--pause", "1ms/1s"},       {"--pause", "250us/5ms"},
    };
    for (const auto& flags : cases) {
        SCOPED_TRACE(flags[0] + " " + flags[1]);
        ServerProcess server(GetParam().binary, server_args(GetParam(), flags, 1));
        ASSERT_TRUE(server.wait_ready()) << server.describe();
        EXPECT_TRUE(server.stop().empty()) << "stopping left processes behind";
    }
}

TEST_P(CommandLine, FlagWithoutValueExits2NamingIt) { expect_rejected({"--workers"}, "--workers"); }

TEST_P(CommandLine, AcceptsDurationForms) {
    for (const char* delay : {"0", "250us", "5ms", "1s"}) {
        SCOPED_TRACE(std::string("--delay ") + delay);
        ServerProcess server(GetParam().binary, server_args(GetParam(), {"--delay", delay}, 1));
        ASSERT_TRUE(server.wait_ready()) << server.describe();
        EXPECT_TRUE(server.stop().empty()) << "stopping left processes behind";
    }
}

INSTANTIATE_TEST_SUITE_P(Binaries, CommandLine, testing::ValuesIn(one_config_per_binary()), config_name);

// A listen address that is taken: the server must fail at once, say which
// address, and not retry (respawn) forever.
class ListenAddressInUse : public testing::TestWithParam<ServerConfig> {};

TEST_P(ListenAddressInUse, ExitsNonZeroNamingTheAddress) {
    int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(holder, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(listen(holder, 16), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length), 0);
    const std::string endpoint = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

    const ServerConfig& config = GetParam();
    std::vector<std::string> args = {"--listen", endpoint, "--workers", std::to_string(config.workers)};
    args.insert(args.end(), config.model_args.begin(), config.model_args.end());
    auto begin = Clock::now();
    RunResult result = run_to_exit(config.binary, args, ready_timeout);
    auto elapsed = Clock::now() - begin;
    close(holder);

    ASSERT_TRUE(result.status.has_value())
        << "still running " << ready_timeout.count() << " ms after start on a taken port\nstderr: " << result.err;
    EXPECT_TRUE(WIFEXITED(*result.status) && WEXITSTATUS(*result.status) != 0)
        << "the server " << describe_wait_status(*result.status) << "\nstderr: " << result.err;
    EXPECT_NE(result.err.find(endpoint), std::string::npos) << "stderr does not name " << endpoint << ": " << result.err;
    EXPECT_FALSE(result.printed_ready) << "stdout: " << result.out;
    EXPECT_LT(elapsed, 5000ms) << "took " << ms_of(elapsed) << " ms to give up";
}

INSTANTIATE_TEST_SUITE_P(Servers, ListenAddressInUse, testing::ValuesIn(all_configs()), config_name);

} // namespace
} // namespace itest
