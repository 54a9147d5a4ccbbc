// Only what runs in-process: --help, --version and bad flags exit, and are
// covered by the integration tests.
#include "cli/command_line.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace {

using namespace std::chrono_literals;

void expect_defaults(const pb::ServerOptions& o) {
    EXPECT_EQ(o.listen.host, "127.0.0.1");
    EXPECT_EQ(o.listen.port, 8080);
    EXPECT_EQ(o.workers, 1);
    EXPECT_EQ(o.handler.delay, 100ms);
    EXPECT_EQ(o.handler.work, 0ns);
    EXPECT_FALSE(o.handler.cost_from_request);
    EXPECT_EQ(o.handler.max_cost, 10s);
    EXPECT_EQ(o.stats_path, "");
    EXPECT_EQ(o.backlog, 4096);
    EXPECT_FALSE(o.defer_accept);
    EXPECT_FALSE(o.fastopen);
    EXPECT_EQ(o.idle_timeout, 60s);
    EXPECT_EQ(o.header_timeout, 10s);
    EXPECT_EQ(o.drain_timeout, 5s);
    EXPECT_EQ(o.handler.critical_share, 0.0);
    EXPECT_FALSE(o.pause.enabled());
}

TEST(ServerOptions, Defaults) { expect_defaults(pb::ServerOptions{}); }

TEST(ServerOptions, ListenerOptionsDefaults) {
    const pb::ListenerOptions l = pb::ServerOptions{}.listener_options();
    EXPECT_EQ(l.backlog, 4096);
    EXPECT_FALSE(l.defer_accept);
    EXPECT_FALSE(l.fastopen);
    EXPECT_FALSE(l.reuseport); // the model decides
    EXPECT_TRUE(l.listen);
}

TEST(ServerOptions, ListenerOptionsCarryTheFlags) {
    pb::ServerOptions o;
    o.backlog = 128;
    o.defer_accept = true;
    o.fastopen = true;
    const pb::ListenerOptions l = o.listener_options();
    EXPECT_EQ(l.backlog, 128);
    EXPECT_TRUE(l.defer_accept);
    EXPECT_TRUE(l.fastopen);
}

TEST(ParseCommandLine, NoArgumentsGiveTheDefaults) {
    char program[] = "core_tests";
    char* argv[] = {program, nullptr};
    pb::ServerOptions o = pb::parse_command_line(1, argv, "test", "unit test");
    // The one deliberate difference from ServerOptions{}: --workers defaults
    // to the online CPUs (its help says so).
    EXPECT_EQ(o.workers, sysconf(_SC_NPROCESSORS_ONLN));
    o.workers = 1;
    expect_defaults(o);
}

TEST(ParseCommandLine, CostFromRequestAndMaxCost) {
    char program[] = "core_tests";
    char flag[] = "--cost-from-request";
    char max_cost[] = "--max-cost";
    char value[] = "250ms";
    char* argv[] = {program, flag, max_cost, value, nullptr};
    const pb::ServerOptions o = pb::parse_command_line(4, argv, "test", "unit test");
    EXPECT_TRUE(o.handler.cost_from_request);
    EXPECT_EQ(o.handler.max_cost, 250ms);
    EXPECT_EQ(o.handler.delay, 100ms) << "--delay stays the default for requests without a cost";
}

TEST(ParseCommandLine, CriticalSectionAndPause) {
    char program[] = "core_tests";
    char share_flag[] = "--critical-section";
    char share[] = "0.25";
    char pause_flag[] = "--pause";
    char pause[] = "5ms/100ms";
    char* argv[] = {program, share_flag, share, pause_flag, pause, nullptr};
    const pb::ServerOptions o = pb::parse_command_line(5, argv, "test", "unit test");
    EXPECT_EQ(o.handler.critical_share, 0.25);
    ASSERT_TRUE(o.pause.enabled());
    EXPECT_EQ(o.pause.pause, 5ms);
    EXPECT_EQ(o.pause.period, 100ms);
}

TEST(PauseSchedule, ParsesPauseSlashPeriodOnly) {
    struct Case {
        const char* text;
        bool valid;
    };
    const Case cases[] = {
        {"5ms/100ms", true}, {"250us/1s", true}, {"99ms/100ms", true}, {"100ms/100ms", false},
        {"0/100ms", false},  {"5ms", false},     {"/100ms", false},    {"5ms/", false},
        {"5ms/100ms/1s", false}, {"x/1s", false}, {"", false},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.text);
        EXPECT_EQ(pb::parse_pause_schedule(c.text).has_value(), c.valid);
    }
    EXPECT_EQ(pb::format_pause_schedule(*pb::parse_pause_schedule("5ms/100ms")), "5ms/100ms");
    EXPECT_EQ(pb::format_pause_schedule(pb::PauseSchedule{}), "off");
}

TEST(ParseCommandLine, ExtendIsCalled) {
    char program[] = "core_tests";
    char* argv[] = {program, nullptr};
    int calls = 0;
    pb::parse_command_line(1, argv, "test", "unit test", [&](CLI::App&) { ++calls; });
    EXPECT_EQ(calls, 1);
}

TEST(AnnounceReady, PrintsTheReadyLine) {
    testing::internal::CaptureStdout();
    pb::announce_ready("test", pb::Endpoint{"127.0.0.1", 1234}, 3);
    const std::string out = testing::internal::GetCapturedStdout();
    EXPECT_EQ(out, "ready model=test listen=127.0.0.1:1234 pid=" + std::to_string(getpid()) + " workers=3\n");
}

} // namespace
