// The prefork-load binary against our prefork-epoll server on 127.0.0.1:
// its command line, its JSON, latency timed from the intended send, requests
// spread over the idle connections, and the schedule file it writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <vector>

#include "common/child_process.hpp"
#include "common/file_text.hpp"
#include "common/ready_line.hpp"
#include "common/socket.hpp"
#include "counting_server.hpp"
#include "load/schedule.hpp"
#include "schedule_file_reader.hpp"
#include "support/temp_dir.hpp"

namespace pb::load {
namespace {

using namespace std::chrono_literals;
using test_support::TempDir;

// prefork-load with `args`; its exit status and all it printed.
Captured run_load(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 60s) {
    std::vector<std::string> argv = {PREFORK_LOAD_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::optional<Captured> result = capture_output(argv, true, timeout);
    if (!result) throw std::runtime_error("prefork-load did not finish");
    return *result;
}

// prefork-epoll on a free port, stopped by PID when the test ends.
class Server {
public:
    explicit Server(const std::vector<std::string>& flags) {
        ChildSpec spec;
        spec.argv = {PREFORK_EPOLL_BINARY, "--listen", "127.0.0.1:0"};
        spec.argv.insert(spec.argv.end(), flags.begin(), flags.end());
        spec.die_with_parent = true;
        process_ = std::make_unique<ChildProcess>(spec);
        const ReadyWait wait = wait_for_ready(*process_, 10s);
        if (!wait.ready) throw std::runtime_error("prefork-epoll: " + wait.error);
        port_ = wait.ready->port;
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
    ChildProcess& process() { return *process_; }

private:
    std::unique_ptr<ChildProcess> process_;
    int port_ = 0;
};

TEST(PreforkLoad, HelpExitsZeroAndNamesTheFlags) {
    const Captured help = run_load({"--help"});
    EXPECT_EQ(help.exit_status, 0);
    for (const char* flag : {"--rate", "--duration", "--warmup", "--connections", "--threads", "--arrival", "--cost", "--seed",
                             "--connect-per-request", "--closed", "--timeout", "--json", "--header", "--realtime",
                             "--write-schedule", "--schedule-only", "drawn uniformly at random", "--spin"})
        EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
}

TEST(PreforkLoad, ABadValueIsOneLineNamingTheFlagAndExitStatusTwo) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--rate", "-5", "http://127.0.0.1:1/"}, "--rate"},
        {{"http://127.0.0.1:1/"}, "--rate"},
        {{"--rate", "10", "--duration", "soon", "http://127.0.0.1:1/"}, "--duration"},
        {{"--rate", "10", "--arrival", "bursty", "http://127.0.0.1:1/"}, "--arrival"},
        {{"--rate", "10", "--cost", "exp:", "http://127.0.0.1:1/"}, "--cost"},
        {{"--rate", "10", "--cpus", "one", "http://127.0.0.1:1/"}, "--cpus"},
        {{"--rate", "10", "--spin", "soon", "http://127.0.0.1:1/"}, "--spin"},
        {{"--rate", "10", "--threads", "4", "--connections", "2", "http://127.0.0.1:1/"}, "--connections"},
        {{"--rate", "10", "ftp://127.0.0.1:1/"}, "URL"},
        {{"--rate", "10", "--schedule-only", "http://127.0.0.1:1/"}, "--schedule-only"},
        {{"--closed", "--write-schedule", "/tmp/x", "http://127.0.0.1:1/"}, "--write-schedule"},
        {{"--rate", "10", "--write-schedule", "", "http://127.0.0.1:1/"}, "--write-schedule"},
        {{"--rate", "10", "--schedule-only", "--write-schedule", "/tmp/x", "ftp://127.0.0.1:1/"}, "URL"},
    };
    for (const auto& [args, flag] : cases) {
        const Captured result = run_load(args);
        EXPECT_EQ(result.exit_status, 2) << result.output;
        EXPECT_NE(result.output.find(flag), std::string::npos) << result.output;
        EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
    }
}

// The first check: a fixed 10 ms wait at 200 req/s answers at p50
// within 10 ms + 0.5 ms, every scheduled request answered, none an error.
TEST(PreforkLoad, AFixedWaitIsMeasuredFromTheIntendedSend) {
    Server server({"--delay", "10ms", "--workers", "1"});
    TempDir temp;
    const auto json_file = temp.path() / "load.json";
    const Captured result = run_load({"--rate", "200", "--duration", "2s", "--warmup", "500ms", "--connections", "16",
                                      "--seed", "7", "--json", json_file.string(), "--progress", "0", server.url()});
    ASSERT_EQ(result.exit_status, 0) << result.output;
    const nlohmann::json json = nlohmann::json::parse(read_whole_file(json_file).value_or("{}"));
    for (const char* key : {"offered_rate", "achieved_rate", "completed", "errors", "percentiles_us", "send_lateness_us",
                            "client_bound", "client_bound_reason", "histogram"})
        EXPECT_TRUE(json.contains(key)) << key;
    for (const char* key : {"50", "90", "99", "99.9", "99.99", "100"}) EXPECT_TRUE(json["percentiles_us"].contains(key)) << key;
    const double p50 = json["percentiles_us"]["50"].get<double>();
    EXPECT_GE(p50, 10'000) << result.output;
    EXPECT_LE(p50, 10'500) << result.output;
    EXPECT_EQ(json["completed"].get<std::uint64_t>(), json["scheduled"].get<std::uint64_t>()) << result.output;
    for (const char* kind : {"connect", "read", "write", "timeout", "status"}) EXPECT_EQ(json["errors"][kind], 0) << kind;
    EXPECT_EQ(json["offered_rate"].get<double>(), 200);
    std::uint64_t in_buckets = 0;
    for (const auto& bucket : json["histogram"]["buckets"]) in_buckets += bucket[1].get<std::uint64_t>();
    EXPECT_EQ(in_buckets, json["completed"].get<std::uint64_t>()) << "the buckets hold every measured response";
}

// --spin 0 sleeps to each send instead of spinning to it (a generator that
// shares CPUs with the server): later sends, but every one sent and timed.
TEST(PreforkLoad, WithoutASpinEveryRequestIsStillSentAndAnswered) {
    Server server({"--delay", "1ms", "--workers", "1"});
    TempDir temp;
    const auto json_file = temp.path() / "load.json";
    const Captured result = run_load({"--rate", "300", "--duration", "1s", "--connections", "8", "--spin", "0",
                                      "--json", json_file.string(), "--progress", "0", server.url()});
    ASSERT_EQ(result.exit_status, 0) << result.output;
    const nlohmann::json json = nlohmann::json::parse(read_whole_file(json_file).value_or("{}"));
    EXPECT_EQ(json["completed"].get<std::uint64_t>(), json["scheduled"].get<std::uint64_t>()) << result.output;
    EXPECT_EQ(json["measured_sent"].get<std::uint64_t>(), json["scheduled"].get<std::uint64_t>()) << result.output;
    EXPECT_GE(json["percentiles_us"]["50"].get<double>(), 1000) << "the 1 ms wait";
}

TEST(PreforkLoad, ANewConnectionPerRequestTimesItsConnect) {
    Server server({"--delay", "1ms", "--workers", "1"});
    TempDir temp;
    const auto json_file = temp.path() / "load.json";
    const Captured result = run_load({"--rate", "200", "--duration", "1s", "--connections", "8", "--connect-per-request",
                                      "--json", json_file.string(), "--progress", "0", server.url()});
    ASSERT_EQ(result.exit_status, 0) << result.output;
    const nlohmann::json json = nlohmann::json::parse(read_whole_file(json_file).value_or("{}"));
    EXPECT_EQ(json["completed"].get<std::uint64_t>(), json["scheduled"].get<std::uint64_t>()) << result.output;
    EXPECT_GT(json["connect_us"]["50"].get<double>(), 0) << "every request's connect is timed: " << result.output;
    EXPECT_GE(json["percentiles_us"]["50"].get<double>(), 1000) << "the 1 ms wait, connect included";
    EXPECT_EQ(json["reconnects"], 0) << "no keep-alive connection to reopen";
}

TEST(PreforkLoad, NoServerIsOneLineNamingConnectAndExitStatusOne) {
    int port = 0;
    {
        Server gone({"--delay", "0", "--workers", "1"});
        port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
        gone.process().signal(SIGKILL);
        ::kill(-gone.process().pid(), SIGKILL);
        gone.process().wait_for(5s);
    }
    const Captured result = run_load({"--rate", "10", "--duration", "1s", "http://127.0.0.1:" + std::to_string(port) + "/"});
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_NE(result.output.find("connect(127.0.0.1:" + std::to_string(port) + "): Connection refused"), std::string::npos)
        << result.output;
}

// A server that stops answering for a while: every request scheduled in the
// stall waits, and the open loop counts that wait (a closed loop would not).
TEST(PreforkLoad, AStallShowsInTheTail) {
    Server server({"--delay", "0", "--workers", "1"});
    TempDir temp;
    const auto json_file = temp.path() / "load.json";
    ChildSpec spec;
    spec.argv = {PREFORK_LOAD_BINARY, "--rate", "500", "--duration", "3s", "--connections", "8", "--json",
                 json_file.string(), "--progress", "1s", server.url()};
    spec.stderr_to_stdout = true;
    ChildProcess load(spec);
    // The first progress line: it is sending. Then stop the server for 500 ms.
    ASSERT_TRUE(load.read_line(10s)) << load.output();
    ::kill(-server.process().pid(), SIGSTOP); // the group: the master and its worker
    const auto stopped = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - stopped < 500ms) load.read_line(50ms);
    ::kill(-server.process().pid(), SIGCONT);
    ASSERT_TRUE(load.wait_for(30s));
    const nlohmann::json json = nlohmann::json::parse(read_whole_file(json_file).value_or("{}"));
    // 500 ms of a 3 s window is 1/6 of the requests: p99 waited most of it.
    EXPECT_GE(json["percentiles_us"]["99"].get<double>(), 300'000) << load.output();
    EXPECT_GE(json["percentiles_us"]["100"].get<double>(), 450'000) << load.output();
}

// At a low rate each request finds every connection idle: a stack would send
// them all on one, a uniform draw spreads 400 requests over 8 connections at
// about 50 each (binomial, sd 6.6).
TEST(PreforkLoad, RequestsAreSpreadOverTheIdleConnections) {
    test::CountingServer server;
    const Captured result = run_load({"--rate", "400", "--duration", "1s", "--arrival", "uniform", "--connections", "8",
                                      "--seed", "3", "--progress", "0", server.url()});
    ASSERT_EQ(result.exit_status, 0) << result.output;
    const test::CountingServer::Counts counts = server.stop();
    ASSERT_EQ(counts.error, "");
    ASSERT_EQ(counts.per_connection.size(), 8u) << "keep-alive: no reconnection";
    int total = 0;
    for (int count : counts.per_connection) {
        EXPECT_GE(count, 15) << "a connection left (nearly) idle: " << ::testing::PrintToString(counts.per_connection);
        EXPECT_LE(count, 100) << "one connection carrying the load: " << ::testing::PrintToString(counts.per_connection);
        total += count;
    }
    EXPECT_EQ(total, 400);
}

// Two threads: each draws from its own engine, and each spreads its share.
TEST(PreforkLoad, EachThreadSpreadsItsShare) {
    test::CountingServer server;
    const Captured result = run_load({"--rate", "400", "--duration", "1s", "--arrival", "uniform", "--connections", "8",
                                      "--threads", "2", "--progress", "0", server.url()});
    ASSERT_EQ(result.exit_status, 0) << result.output;
    const test::CountingServer::Counts counts = server.stop();
    ASSERT_EQ(counts.per_connection.size(), 8u);
    for (int count : counts.per_connection)
        EXPECT_GE(count, 15) << ::testing::PrintToString(counts.per_connection);
}

std::vector<std::string> schedule_flags(const std::filesystem::path& file) {
    return {"--rate", "1500", "--warmup", "500ms", "--duration", "2s", "--arrival", "poisson", "--cost", "work=exp:1ms",
            "--cost", "delay=fixed:2ms", "--seed", "9", "--write-schedule", file.string()};
}

ScheduleSpec spec_of_schedule_flags() {
    ScheduleSpec spec;
    spec.rate = 1500;
    spec.duration = 2500ms; // the warm-up and the measured time
    spec.arrival = Arrival::poisson;
    spec.costs = {parse_cost("work=exp:1ms"), parse_cost("delay=fixed:2ms")};
    spec.seed = 9;
    return spec;
}

// --schedule-only with a listener that never accepts: exit 0, the file is
// plan_schedule's output for the same spec, and nobody connected.
TEST(PreforkLoad, ScheduleOnlyWritesThePlanAndConnectsNowhere) {
    TempDir temp;
    const auto file = temp.path() / "schedule.bin";
    const Fd listener = open_listener(Endpoint{"127.0.0.1", 0}, ListenerOptions{});
    std::vector<std::string> args = schedule_flags(file);
    args.insert(args.end(), {"--schedule-only", "http://127.0.0.1:" + std::to_string(local_port(listener.get())) + "/"});
    const Captured result = run_load(args);
    ASSERT_EQ(result.exit_status, 0) << result.output;
    EXPECT_LT(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC), 0) << "a connection came";
    EXPECT_EQ(errno, EAGAIN);
    const std::optional<test::ScheduleFile> written = test::read_schedule_file(file);
    ASSERT_TRUE(written);
    const std::vector<PlannedRequest> plan = plan_schedule(spec_of_schedule_flags());
    EXPECT_EQ(written->magic, "PBSCHED1");
    EXPECT_EQ(written->count, plan.size());
    EXPECT_EQ(written->warmup_ns, 500'000'000);
    EXPECT_EQ(written->length_ns, 2'500'000'000);
    EXPECT_EQ(written->records, plan);
    EXPECT_NE(result.output.find(std::to_string(plan.size()) + " planned requests"), std::string::npos) << result.output;
}

// A real run writes the same file, and its measured part (send_at >=
// warm-up) is the report's `scheduled`.
TEST(PreforkLoad, ARunWritesTheScheduleItSends) {
    Server server({"--delay", "0", "--workers", "1"}); // the costs ride in the URL, unread
    TempDir temp;
    const auto file = temp.path() / "schedule.bin", json_file = temp.path() / "load.json";
    std::vector<std::string> args = schedule_flags(file);
    args.insert(args.end(), {"--connections", "16", "--json", json_file.string(), "--progress", "0", server.url()});
    const Captured result = run_load(args);
    ASSERT_EQ(result.exit_status, 0) << result.output;
    const std::optional<test::ScheduleFile> written = test::read_schedule_file(file);
    ASSERT_TRUE(written);
    EXPECT_EQ(written->records, plan_schedule(spec_of_schedule_flags()));
    const auto measured = std::count_if(written->records.begin(), written->records.end(),
                                        [&](const PlannedRequest& r) { return r.send_at_ns >= written->warmup_ns; });
    const nlohmann::json json = nlohmann::json::parse(read_whole_file(json_file).value_or("{}"));
    EXPECT_EQ(json["scheduled"].get<std::int64_t>(), measured);
}

TEST(PreforkLoad, AScheduleFileThatCannotBeWrittenIsOneLineNamingIt) {
    TempDir temp;
    const auto file = temp.path() / "no-such-dir" / "schedule.bin";
    std::vector<std::string> args = schedule_flags(file);
    args.insert(args.end(), {"--schedule-only", "http://127.0.0.1:1/"});
    const Captured result = run_load(args);
    EXPECT_NE(result.exit_status, 0) << result.output;
    EXPECT_NE(result.output.find(file.string()), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("No such file or directory"), std::string::npos) << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
}

} // namespace
} // namespace pb::load
