#include "harness/summary.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

namespace pb::harness {
namespace {

using namespace std::chrono_literals;

// A run of 10 s with 512 connections and a 100 ms delay (bound 5,120 req/s).
RunResult run(int id, const std::string& server, double requests_per_s, double p99_ms) {
    RunResult r;
    r.id = id;
    r.server = server;
    r.model = "prefork-epoll";
    r.repetition = id;
    r.connections = 512;
    r.threads = 4;
    r.delay = 100ms;
    r.wrk.duration_s = 10;
    r.wrk.requests = static_cast<std::uint64_t>(requests_per_s * 10);
    r.wrk.errors.timeout = static_cast<std::uint64_t>(id);
    r.wrk.latency_max_ms = p99_ms + 50;
    r.wrk.percentiles = {{50, 100.5}, {99, p99_ms}, {99.9, p99_ms + 10}, {100, p99_ms + 50}};
    r.server_usage = {.user_s = 1, .system_s = 1, .peak_rss_mib = 10, .voluntary_switches = 0,
                      .involuntary_switches = 0, .processes = 3, .threads = 3};
    r.wrk_usage = {.user_s = 3, .system_s = 2, .peak_rss_mib = 3, .voluntary_switches = 0,
                   .involuntary_switches = 0, .processes = 1, .threads = 5};
    for (int i = 0; i < 2; ++i) {
        WorkerRow w;
        w.worker = i;
        w.connections = 256;
        r.workers.push_back(w);
    }
    return r;
}

RunResult failed(int id, const std::string& server, const std::string& reason) {
    RunResult r = run(id, server, 99999, 9999); // values that must not reach a median
    r.status = RunStatus::failed;
    r.reason = reason;
    return r;
}

SummaryContext context() {
    return {"fasthttp-claim", "Does prefork beat a thread pool?\n", "test-host (4 CPUs)", "2024-05-01 10:00 UTC",
            "CPU pinning: server on CPUs 0-1, wrk on CPUs 2-3."};
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The cells of the table row whose first cell is `server`.
std::vector<std::string> table_row(const std::string& markdown, const std::string& server) {
    for (const std::string& line : lines_of(markdown)) {
        if (line.rfind("| " + server + " |", 0) != 0) continue;
        std::vector<std::string> cells;
        std::size_t start = 2;
        for (std::size_t bar; (bar = line.find(" | ", start)) != std::string::npos; start = bar + 3)
            cells.push_back(line.substr(start, bar - start));
        cells.push_back(line.substr(start, line.size() - start - 2)); // drop the closing " |"
        return cells;
    }
    return {};
}

int rows_starting_with(const std::string& markdown, const std::string& prefix) {
    int n = 0;
    for (const std::string& line : lines_of(markdown)) n += line.rfind(prefix, 0) == 0;
    return n;
}

// Columns of the table, by position.
enum Cell { server, kind, connections, runs_ok, requests, p50, p99, p99_9, efficiency_pct, bound, errors, unserved,
            server_cpu, wrk_cpu, cpu_per_request, rss, jain };

const std::vector<RunResult> three_servers = {
    run(1, "prefork", 5000, 110), run(2, "threadpool", 4000, 200), failed(3, "accept-mutex", "server exited with status 1"),
    run(4, "prefork", 5100, 130), run(5, "threadpool", 4200, 300), run(6, "accept-mutex", 3000, 400),
    run(7, "prefork", 4900, 120), run(8, "threadpool", 4100, 250), run(9, "accept-mutex", 3200, 500),
};

TEST(SummaryTest, TitleDescriptionAndPinning) {
    const std::string md = summary_markdown(context(), three_servers);
    EXPECT_EQ(lines_of(md)[0], "# fasthttp-claim on test-host (4 CPUs)");
    EXPECT_NE(md.find("Does prefork beat a thread pool?\n\n"), std::string::npos) << md;
    EXPECT_NE(md.find("Started 2024-05-01 10:00 UTC.\n"), std::string::npos) << md;
    EXPECT_NE(md.find("\nCPU pinning: server on CPUs 0-1, wrk on CPUs 2-3.\n"), std::string::npos) << md;
}

TEST(SummaryTest, OneTableRowPerServerInFirstAppearanceOrder) {
    const std::string md = summary_markdown(context(), three_servers);
    EXPECT_EQ(rows_starting_with(md, "| prefork |"), 1) << md;
    EXPECT_EQ(rows_starting_with(md, "| threadpool |"), 1);
    EXPECT_EQ(rows_starting_with(md, "| accept-mutex |"), 1);
    EXPECT_LT(md.find("| prefork |"), md.find("| threadpool |"));
    EXPECT_LT(md.find("| threadpool |"), md.find("| accept-mutex |"));
    // Header, alignment and three rows: one table.
    EXPECT_EQ(rows_starting_with(md, "|"), 5);
}

TEST(SummaryTest, MediansOverThreeRuns) {
    const std::string md = summary_markdown(context(), three_servers);
    const auto row = table_row(md, "prefork");
    ASSERT_EQ(row.size(), 17u) << md;
    EXPECT_EQ(row[connections], "512");
    EXPECT_EQ(row[runs_ok], "3/3");
    EXPECT_EQ(row[requests], "5,000 (4,900–5,100)");
    EXPECT_EQ(row[p50], "100.5");
    EXPECT_EQ(row[p99], "120.0");
    EXPECT_EQ(row[p99_9], "130.0");
    EXPECT_EQ(row[efficiency_pct], "97.7"); // 5,000 / 5,120
    EXPECT_EQ(row[bound], "5,120");
    EXPECT_EQ(row[errors], "4");            // timeouts 1, 4, 7
    EXPECT_EQ(row[unserved], "0");
    EXPECT_EQ(row[server_cpu], "20.0");     // 2 s of CPU in 10 s
    EXPECT_EQ(row[wrk_cpu], "50.0");
    EXPECT_EQ(row[cpu_per_request], "40.0"); // 2 s / 50,000 requests
    EXPECT_EQ(row[rss], "10.0");
    EXPECT_EQ(row[jain], "1.00");
}

TEST(SummaryTest, FailedRunCountedButNotInMedians) {
    const std::string md = summary_markdown(context(), three_servers);
    const auto row = table_row(md, "accept-mutex");
    ASSERT_EQ(row.size(), 17u) << md;
    EXPECT_EQ(row[runs_ok], "2/3");
    EXPECT_EQ(row[requests], "3,100 (3,000–3,200)"); // the mean of the two middle values
    EXPECT_EQ(row[p99], "450.0");
    EXPECT_EQ(row[errors], "7.5");                  // timeouts 6 and 9
}

TEST(SummaryTest, FailedRunListedWithItsReason) {
    const std::string md = summary_markdown(context(), three_servers);
    const auto list = md.find("Runs that did not succeed");
    ASSERT_NE(list, std::string::npos) << md;
    const auto entry = md.find("- run 3 (accept-mutex, 512 connections, repetition 3): failed — server exited with status 1");
    EXPECT_NE(entry, std::string::npos) << md;
    EXPECT_GT(entry, list);
}

TEST(SummaryTest, NoFailureSectionWhenAllSucceeded) {
    const std::vector<RunResult> runs = {run(1, "prefork", 5000, 110)};
    EXPECT_EQ(summary_markdown(context(), runs).find("did not succeed"), std::string::npos);
}

TEST(SummaryTest, NoBoundWithoutDelay) {
    std::vector<RunResult> runs = {run(1, "prefork", 50000, 1.5)};
    runs[0].delay = 0ms;
    const auto row = table_row(summary_markdown(context(), runs), "prefork");
    ASSERT_EQ(row.size(), 17u);
    EXPECT_EQ(row[efficiency_pct], "–");
    EXPECT_EQ(row[bound], "–");
    EXPECT_EQ(row[requests], "50,000 (50,000–50,000)");
    EXPECT_EQ(row[p99], "1.50");
}

TEST(SummaryTest, NumbersFormattedForReading) {
    std::vector<RunResult> runs = {run(1, "prefork", 1234567, 1224.5)};
    runs[0].wrk.errors.connect = 12345;
    const auto row = table_row(summary_markdown(context(), runs), "prefork");
    ASSERT_EQ(row.size(), 17u);
    EXPECT_EQ(row[requests], "1,234,567 (1,234,567–1,234,567)");
    EXPECT_EQ(row[p99], "1,224.5");
    EXPECT_EQ(row[p99_9], "1,234.5");
    EXPECT_EQ(row[errors], "12,346");
}

TEST(SummaryTest, ARowPerConnectionCount) {
    std::vector<RunResult> runs = {run(1, "prefork", 5000, 110), run(2, "prefork", 2500, 110)};
    runs[1].connections = 256;
    const std::string md = summary_markdown(context(), runs);
    EXPECT_EQ(rows_starting_with(md, "| prefork |"), 2) << md;
    EXPECT_LT(md.find("| prefork | ours | 256 |"), md.find("| prefork | ours | 512 |"));
    EXPECT_NE(md.find("| prefork | ours | 256 | 1/1 | 2,500 (2,500–2,500) |"), std::string::npos) << md;
}

TEST(SummaryTest, PeerRowIsMarkedAndCountsTheListenQueueAsUnserved) {
    std::vector<RunResult> runs = {run(1, "apache-prefork-256", 2500, 110)};
    runs[0].kind = "peer";
    runs[0].workers.clear();
    runs[0].listen_queue = {true, 300, 40, 256}; // max, at the end, median
    const std::string md = summary_markdown(context(), runs);
    const auto row = table_row(md, "apache-prefork-256");
    ASSERT_EQ(row.size(), 17u) << md;
    EXPECT_EQ(row[kind], "peer");
    EXPECT_EQ(row[unserved], "256");
    EXPECT_EQ(row[jain], "–") << "a peer has no per-worker counts";
    EXPECT_NE(md.find("*peer*"), std::string::npos) << "the legend explains peers";
}

TEST(SummaryTest, AllRunsFailedLeavesDashes) {
    const std::vector<RunResult> runs = {failed(1, "prefork", "no ready line")};
    const auto row = table_row(summary_markdown(context(), runs), "prefork");
    ASSERT_EQ(row.size(), 17u);
    EXPECT_EQ(row[runs_ok], "0/1");
    EXPECT_EQ(row[requests], "–");
    EXPECT_EQ(row[p99], "–");
    EXPECT_EQ(row[bound], "5,120");
}

TEST(SummaryTest, WriteSummary) {
    const std::filesystem::path file = std::filesystem::path(::testing::TempDir()) / "summary_test_summary.md";
    write_summary(file, "# hello\n");
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "# hello\n");
    std::filesystem::remove(file);
}

} // namespace
} // namespace pb::harness
