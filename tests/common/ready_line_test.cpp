#include "common/ready_line.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using pb::parse_ready_line;

TEST(ReadyLine, FormatThenParseGivesTheFieldsBack) {
    const auto ready = parse_ready_line(pb::format_ready_line("prefork-epoll", "127.0.0.1:8080", 42, 2));
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->model, "prefork-epoll");
    EXPECT_EQ(ready->host, "127.0.0.1");
    EXPECT_EQ(ready->port, 8080);
    EXPECT_EQ(ready->pid, 42);
    EXPECT_EQ(ready->workers, 2);
}

TEST(ReadyLine, Ipv6HostKeepsItsBrackets) {
    const auto ready = parse_ready_line("ready model=m listen=[::1]:9 pid=1 workers=1");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->host, "[::1]");
    EXPECT_EQ(ready->port, 9);
}

TEST(ReadyLine, AnythingElseIsNotAReadyLine) {
    for (const char* line : {
             "",                                                    // empty
             "listening on 8080",                                   // not ours
             "ready model=m listen=127.0.0.1:1 pid=1",              // a field missing
             "ready listen=127.0.0.1:1 model=m pid=1 workers=1",    // out of order
             "ready model=m listen=127.0.0.1:1 pid=1 workers=1 x",  // a field too many
             "ready model=m listen=127.0.0.1 pid=1 workers=1",      // no port
             "ready model=m listen=127.0.0.1:70000 pid=1 workers=1", // port out of range
             "ready model=m listen=127.0.0.1:1 pid=x workers=1",    // pid not a number
             "ready model=m listen=127.0.0.1:1 pid=1 workers=0",    // no workers
             "ready model= listen=127.0.0.1:1 pid=1 workers=1",     // empty model
         })
        EXPECT_FALSE(parse_ready_line(line)) << '"' << line << '"';
}

pb::ChildProcess shell(const std::string& script) {
    pb::ChildSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    return pb::ChildProcess(spec);
}

TEST(WaitForReady, TheFirstLineIsTheReadyLine) {
    pb::ChildProcess child = shell("echo 'ready model=m listen=127.0.0.1:5 pid=7 workers=3'; exec sleep 30");
    const pb::ReadyWait wait = pb::wait_for_ready(child, std::chrono::seconds(10));
    ASSERT_TRUE(wait.ready) << wait.error;
    EXPECT_EQ(wait.ready->workers, 3);
}

TEST(WaitForReady, AnotherFirstLineIsQuoted) {
    pb::ChildProcess child = shell("echo hello; exec sleep 30");
    const pb::ReadyWait wait = pb::wait_for_ready(child, std::chrono::seconds(10));
    EXPECT_FALSE(wait.ready);
    EXPECT_EQ(wait.error, "printed \"hello\" instead of a ready line");
}

TEST(WaitForReady, AnExitBeforeTheLineSaysHow) {
    pb::ChildProcess child = shell("exit 3");
    const pb::ReadyWait wait = pb::wait_for_ready(child, std::chrono::seconds(10));
    EXPECT_FALSE(wait.ready);
    EXPECT_EQ(wait.error, "exited with status 3 before its ready line");
}

TEST(WaitForReady, SilenceTimesOut) {
    pb::ChildProcess child = shell("exec sleep 30");
    const pb::ReadyWait wait = pb::wait_for_ready(child, std::chrono::milliseconds(200));
    EXPECT_FALSE(wait.ready);
    EXPECT_EQ(wait.error, "printed no ready line within 200 ms");
}

} // namespace
