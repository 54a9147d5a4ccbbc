// The real harness binary against the real servers with real wrk: the smoke
// scenario end to end, a server that cannot start, and Ctrl-C mid-run.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "common/child_process.hpp"
#include "common/cpus.hpp"
#include "common/program_path.hpp"
#include "host/preflight.hpp"
#include "launch/affinity.hpp"
#include "support/harness_process.hpp"
#include "support/temp_dir.hpp"

namespace pb::harness {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test_support::TempDir;
using namespace test_support;

// The smoke scenario pins (pin = "split"): wrk's CPUs, or every allowed CPU
// on a machine too small to split.
std::vector<int> smoke_wrk_cpus() {
    const Pinning pinning = plan_pinning(PinMode::split, allowed_cpus());
    return pinning.wrk_cpus.empty() ? allowed_cpus() : pinning.wrk_cpus;
}

class EndToEnd : public testing::Test {
protected:
    void SetUp() override {
        if (!find_on_path("wrk")) GTEST_SKIP() << "wrk is not installed (make deps installs it)";
    }
    TempDir temp;
};

TEST_F(EndToEnd, SmokeScenarioLeavesACompleteResultsDirectory) {
    const fs::path out = temp.path() / "results";
    Outcome outcome = run_harness({"run", PREFORK_BENCH_SOURCE_DIR "/scenarios/smoke.toml", "--out", out.string()},
                                  temp.path() / "output.txt");
    ASSERT_EQ(outcome.status, 0) << outcome.output;
    const fs::path dir = results_dir(out);
    ASSERT_FALSE(dir.empty()) << "no results directory under " << out;
    EXPECT_NE(dir.filename().string().find("-smoke"), std::string::npos) << dir;
    for (const char* file : {"runs.csv", "latency.csv", "workers.csv", "meta.json", "summary.md"})
        EXPECT_TRUE(fs::exists(dir / file)) << file;

    std::vector<std::string> runs = lines_of(dir / "runs.csv");
    ASSERT_EQ(runs.size(), 4u) << "a header and one row per server";
    std::vector<std::string> header = split_csv_line(runs[0]);
    auto column = [&](const std::string& name) {
        auto at = std::find(header.begin(), header.end(), name);
        EXPECT_NE(at, header.end()) << "runs.csv has no column " << name;
        return static_cast<std::size_t>(at - header.begin());
    };
    for (std::size_t i = 1; i < runs.size(); ++i) {
        std::vector<std::string> row = split_csv_line(runs[i]);
        ASSERT_EQ(row.size(), header.size()) << runs[i];
        EXPECT_EQ(row[column("status")], "ok") << runs[i];
        EXPECT_GT(std::stod(row[column("requests")]), 0) << runs[i];
        // 16 connections waiting 10 ms: a bound of 1,600 req/s that a working
        // server nearly reaches and none can pass.
        double efficiency = std::stod(row[column("efficiency")]);
        EXPECT_GT(efficiency, 0.5) << runs[i];
        EXPECT_LT(efficiency, 1.05) << runs[i];
        EXPECT_EQ(row[column("unserved_connections")], "0") << runs[i];
        EXPECT_GT(std::stod(row[column("server_cpu_s")]), 0) << runs[i];
        EXPECT_EQ(row[column("wrk_cpus")], std::to_string(smoke_wrk_cpus().size())) << runs[i];
        const std::string bound = row[column("client_bound")];
        EXPECT_TRUE(bound == "true" || bound == "false") << runs[i];
        EXPECT_EQ(row[column("client_bound_reason")].empty(), bound == "false") << runs[i];
    }
    EXPECT_GT(lines_of(dir / "latency.csv").size(), 3u * 100);
    EXPECT_GE(lines_of(dir / "workers.csv").size(), 1u + 3 * 2) << "a row per worker of every run";

    nlohmann::json meta = nlohmann::json::parse(read_file(dir / "meta.json"));
    for (const char* key : {"host", "toolchain", "versions", "git", "scenario", "runs", "started_utc", "ended_utc", "pinning"})
        EXPECT_TRUE(meta.contains(key)) << "meta.json has no " << key;
    EXPECT_EQ(meta["runs"].size(), 3u);
    // Where the harness's own threads ran, and what its sampling cost.
    EXPECT_EQ(meta["harness"]["pinned"], !plan_pinning(PinMode::split, allowed_cpus()).wrk_cpus.empty());
    EXPECT_EQ(meta["harness"]["cpus"].get<std::vector<int>>(), smoke_wrk_cpus()) << "the harness runs beside wrk";
    EXPECT_GT(meta["harness"]["watchdog_pid"].get<int>(), 0);
    const nlohmann::json& sampling = meta["sampling"];
    // Two samplers (the server's, wrk's) over three 2 s windows, every 100 ms.
    EXPECT_GE(sampling["samples"].get<int>(), 3 * 2 * 20);
    EXPECT_EQ(sampling["interval_ms"], 100);
    EXPECT_GT(sampling["wall_us_mean"].get<double>(), 0);
    EXPECT_GE(sampling["wall_us_max"].get<double>(), sampling["wall_us_mean"].get<double>());
    EXPECT_GT(sampling["cpu_us_mean"].get<double>(), 0);
    EXPECT_NE(meta["scenario"]["content"].get<std::string>().find("[[server]]"), std::string::npos);

    std::string summary = read_file(dir / "summary.md");
    for (const char* server : {"prefork-epoll", "threadpool", "accept-mutex-epoll"})
        EXPECT_NE(summary.find(server), std::string::npos) << server << " missing from summary.md";
    EXPECT_TRUE(processes_mentioning(temp.path().string()).empty()) << "the harness left processes running";
}

TEST_F(EndToEnd, FailedRunIsRecordedAndTheRestGoesOn) {
    const fs::path scenario = temp.path() / "bad.toml";
    write_scenario(scenario, "[[server]]\nlabel = \"broken\"\nmodel = \"threadpool\"\nflags = [\"--bogus\"]\n"
                             "[[server]]\nlabel = \"good\"\nmodel = \"prefork-epoll\"\n");
    const fs::path out = temp.path() / "results";
    Outcome outcome = run_harness({"run", scenario.string(), "--out", out.string()}, temp.path() / "output.txt");
    EXPECT_EQ(outcome.status, 1) << "a failed run makes the exit status non-zero\n" << outcome.output;
    std::string runs = read_file(results_dir(out) / "runs.csv");
    EXPECT_NE(runs.find("broken"), std::string::npos);
    EXPECT_NE(runs.find("failed"), std::string::npos) << runs;
    EXPECT_NE(runs.find("--bogus"), std::string::npos) << "the reason quotes the server's complaint\n" << runs;
    EXPECT_NE(runs.find(",ok,"), std::string::npos) << "the good server still ran\n" << runs;
    EXPECT_TRUE(processes_mentioning(temp.path().string()).empty()) << "the harness left processes running";
}

TEST_F(EndToEnd, PeerIsMeasuredBesideOursAndMarkedAsSuch) {
    const fs::path scenario = temp.path() / "peer.toml";
    write_scenario(scenario, "[[server]]\nmodel = \"threadpool\"\n"
                             "[[server]]\nkind = \"peer\"\npeer = \"ours-as-peer\"\n"
                             "[[server]]\nkind = \"peer\"\npeer = \"leaves-children\"\n");
    const fs::path out = temp.path() / "results";
    Outcome outcome = run_harness({"run", scenario.string(), "--out", out.string(), "--peers-dir",
                                   HARNESS_FIXTURES "/peers"},
                                  temp.path() / "output.txt");
    ASSERT_EQ(outcome.status, 0) << outcome.output;
    const fs::path dir = results_dir(out);
    std::vector<std::string> runs = lines_of(dir / "runs.csv");
    ASSERT_EQ(runs.size(), 4u);
    std::vector<std::string> header = split_csv_line(runs[0]);
    auto at = [&](const std::string& name) {
        auto found = std::find(header.begin(), header.end(), name);
        if (found == header.end()) throw std::runtime_error("runs.csv has no column " + name);
        return static_cast<std::size_t>(found - header.begin());
    };
    for (std::size_t i = 1; i < runs.size(); ++i) {
        std::vector<std::string> row = split_csv_line(runs[i]);
        ASSERT_EQ(row.size(), header.size()) << runs[i];
        const bool peer = row[at("server")] != "threadpool";
        EXPECT_EQ(row[at("kind")], peer ? "peer" : "ours") << runs[i];
        EXPECT_EQ(row[at("status")], "ok") << runs[i];
        EXPECT_GT(std::stod(row[at("efficiency")]), 0.5) << runs[i];
        EXPECT_GT(std::stod(row[at("server_cpu_s")]), 0) << "the peer's processes are sampled too: " << runs[i];
        EXPECT_EQ(row[at("unserved_connections")], "0") << runs[i];
        if (peer) {
            EXPECT_EQ(row[at("jain_connections")], "") << "never invented for a peer: " << runs[i];
        }
    }
    EXPECT_TRUE(fs::exists(dir / "raw" / "run-002-peer" / "note.txt")) << "the generated config is kept with the run";
    nlohmann::json meta = nlohmann::json::parse(read_file(dir / "meta.json"));
    EXPECT_TRUE(meta["peers"].contains("ours-as-peer")) << meta["peers"].dump();
    EXPECT_NE(read_file(dir / "summary.md").find("| ours-as-peer | peer |"), std::string::npos);
    // A peer's command line need not mention the temp folder; the run marker
    // in its environment does name the harness.
    EXPECT_TRUE(processes_mentioning("PREFORK_BENCH_RUN=" + std::to_string(outcome.pid) + ".").empty())
        << "the harness left processes running";
    EXPECT_TRUE(processes_mentioning(temp.path().string()).empty()) << "the harness left processes running";
}

TEST_F(EndToEnd, InterruptStopsEverythingAndKeepsWhatFinished) {
    const fs::path scenario = temp.path() / "long.toml";
    write_scenario(scenario, "[[server]]\nmodel = \"prefork-epoll\"\n[[server]]\nmodel = \"threadpool\"\n", "30s");
    const fs::path out = temp.path() / "results";
    const fs::path error_file = temp.path() / "stderr.txt";
    ChildProcess harness(harness_spec({"run", scenario.string(), "--out", out.string()}, {}, error_file));
    // Mid-run: the first run announced ("[1/2] prefork-epoll c=16 rep 1/1
    // (ETA ...) ... ") and its server started, so there is something to stop.
    ASSERT_TRUE(wait_for_output(harness, "[1/2] ", 60'000ms)) << harness.output() << read_file(error_file);
    const std::string marker = "PREFORK_BENCH_RUN=" + std::to_string(harness.pid()) + ".";
    ASSERT_TRUE(wait_for_process_mentioning(marker, 30'000ms)) << "the first run's server never started";
    harness.signal(SIGINT);
    const Outcome outcome = finish(harness, {}, error_file);
    EXPECT_NE(outcome.status, 0) << outcome.output;
    const fs::path dir = results_dir(out);
    std::string runs = read_file(dir / "runs.csv");
    EXPECT_NE(runs.find("interrupted"), std::string::npos) << runs;
    EXPECT_EQ(runs.find("threadpool"), std::string::npos) << "the second run started after the interrupt\n" << runs;
    EXPECT_TRUE(fs::exists(dir / "summary.md")) << "the summary is written after an interrupt too";
    EXPECT_TRUE(processes_mentioning(marker).empty()) << "the harness left a server running";
    EXPECT_TRUE(processes_mentioning(temp.path().string()).empty()) << "the harness left processes running";
}

// [wrk] pipeline = 4: report.lua sends four requests per write. 8
// connections waiting 10 ms each cannot pass 800 req/s one request at a
// time; our servers wait for a pipelined batch together, so pipelining shows
// as a rate above that ceiling. Every response wrk counted, the server
// counted too, and at most a batch per connection more at each end of the window.
TEST_F(EndToEnd, PipelinedRunSendsSeveralRequestsPerWrite) {
    const fs::path scenario = temp.path() / "pipeline.toml";
    std::ofstream(scenario) << "description = \"pipelining\"\nrepetitions = 1\nwarmup = \"0\"\n"
                               "[handler]\ndelay = \"10ms\"\n"
                               "[wrk]\nthreads = 2\nconnections = 8\nduration = \"1s\"\ntimeout = \"2s\"\npipeline = 4\n"
                               "[[server]]\nmodel = \"prefork-epoll\"\n";
    const fs::path out = temp.path() / "results";
    Outcome outcome = run_harness({"run", scenario.string(), "--out", out.string()}, temp.path() / "output.txt");
    ASSERT_EQ(outcome.status, 0) << outcome.output;
    const fs::path dir = results_dir(out);
    std::vector<std::string> runs = lines_of(dir / "runs.csv");
    ASSERT_EQ(runs.size(), 2u);
    std::vector<std::string> header = split_csv_line(runs[0]);
    std::vector<std::string> row = split_csv_line(runs[1]);
    ASSERT_EQ(row.size(), header.size()) << runs[1];
    const auto at = [&](const std::string& name) { return csv_column(header, row, name); };
    EXPECT_EQ(at("status"), "ok") << runs[1];
    EXPECT_EQ(at("pipeline"), "4") << runs[1];
    EXPECT_EQ(at("errors_read"), "0") << runs[1];
    EXPECT_EQ(at("errors_status"), "0") << runs[1];
    EXPECT_EQ(at("latency_p50_ms"), "") << "wrk 4.1 measures no latency when pipelining: " << runs[1];
    EXPECT_GT(std::stod(at("requests_per_s")), 1.5 * 800) << "no more than one request in flight per connection";

    std::vector<std::string> workers = lines_of(dir / "workers.csv");
    ASSERT_GE(workers.size(), 2u);
    std::vector<std::string> worker_header = split_csv_line(workers[0]);
    const auto requests_column =
        static_cast<std::size_t>(std::find(worker_header.begin(), worker_header.end(), "requests") - worker_header.begin());
    ASSERT_LT(requests_column, worker_header.size()) << workers[0];
    double served = 0;
    for (std::size_t i = 1; i < workers.size(); ++i) served += std::stod(split_csv_line(workers[i])[requests_column]);
    const double counted = std::stod(at("requests"));
    EXPECT_GE(served, counted) << "the server served fewer requests than wrk counted";
    // Beyond wrk's count, at most a batch per connection at each end of the
    // window: the measured wrk's last batches, and the warm-up's, which the
    // server may still answer after its counters' baseline was taken.
    EXPECT_LE(served, counted + 2 * 8 * 4) << "the server served more than a batch per connection beyond wrk's count";

    nlohmann::json meta = nlohmann::json::parse(read_file(dir / "meta.json"));
    ASSERT_EQ(meta["runs"].size(), 1u);
    EXPECT_EQ(meta["runs"][0]["wrk_pipeline"], 4) << meta["runs"].dump();
    EXPECT_TRUE(processes_mentioning(temp.path().string()).empty()) << "the harness left processes running";
}

// [load] generator = "open": prefork-load runs at each offered rate, our
// server reads the costs from the query, and runs.csv has the open loop's
// columns with latency timed from the intended send.
TEST_F(EndToEnd, OpenLoopRunsPreforkLoadAtEachOfferedRate) {
    const fs::path scenario = temp.path() / "open.toml";
    std::ofstream(scenario) << "description = \"open loop\"\nrepetitions = 1\n[handler]\ndelay = \"0\"\n"
                               "[load]\ngenerator = \"open\"\nrates = [100, 200]\ncost = \"delay=fixed:5ms\"\n"
                               "connections = 8\nduration = \"2s\"\nwarmup = \"500ms\"\n"
                               "[[server]]\nmodel = \"prefork-epoll\"\n";
    const fs::path out = temp.path() / "results";
    Outcome outcome = run_harness({"run", scenario.string(), "--out", out.string()}, temp.path() / "output.txt");
    ASSERT_EQ(outcome.status, 0) << outcome.output;
    const fs::path dir = results_dir(out);
    const std::vector<std::string> runs = lines_of(dir / "runs.csv");
    ASSERT_EQ(runs.size(), 3u) << "a header and one row per offered rate";
    const std::vector<std::string> header = split_csv_line(runs[0]);
    for (std::size_t i = 1; i < runs.size(); ++i) {
        const std::vector<std::string> row = split_csv_line(runs[i]);
        const auto at = [&](const std::string& name) { return csv_column(header, row, name); };
        EXPECT_EQ(at("status"), "ok") << runs[i];
        EXPECT_EQ(at("generator"), "open") << runs[i];
        EXPECT_EQ(at("cost"), "delay=fixed:5ms") << runs[i];
        EXPECT_EQ(at("offered_rps"), i == 1 ? "100" : "200") << runs[i];
        // Every request waits the 5 ms it asked for (the server's --delay is 0).
        EXPECT_GE(std::stod(at("latency_p50_ms")), 5.0) << runs[i];
        EXPECT_LT(std::stod(at("latency_p50_ms")), 6.0) << runs[i];
        EXPECT_NEAR(std::stod(at("requests_per_s")), i == 1 ? 100 : 200, i == 1 ? 20 : 30) << runs[i];
        EXPECT_NE(at("send_lateness_p99_us"), "") << runs[i];
        EXPECT_TRUE(at("client_bound") == "true" || at("client_bound") == "false") << runs[i];
        EXPECT_EQ(at("client_bound_reason").empty(), at("client_bound") == "false") << "a verdict has its reason: " << runs[i];
        EXPECT_EQ(at("little_bound_rps"), "") << "no Little bound for an open loop: " << runs[i];
        EXPECT_GT(std::stod(at("server_cpu_s")), 0) << runs[i];
    }
    EXPECT_TRUE(fs::exists(dir / "raw" / "run-001-load-report.json")) << "prefork-load's own JSON is kept";
    const nlohmann::json meta = nlohmann::json::parse(read_file(dir / "meta.json"));
    EXPECT_NE(meta["runs"][0]["wrk_command"].get<std::string>().find("prefork-load --rate 100"), std::string::npos)
        << meta["runs"][0].dump();
    EXPECT_TRUE(processes_mentioning(temp.path().string()).empty()) << "the harness left processes running";
}

// [hosts] with two wrk processes here: the connections split over them (5
// and 4), both warmed up and started together, their rates summed, the
// merged latency marked as not exact and each one's percentiles kept.
TEST_F(EndToEnd, SeveralWrkSplitTheConnectionsAndSumTheirRates) {
    const fs::path scenario = temp.path() / "two-wrk.toml";
    std::ofstream(scenario) << "description = \"two wrk\"\nrepetitions = 1\nwarmup = \"500ms\"\npin = \"none\"\n"
                               "[handler]\ndelay = \"10ms\"\n"
                               "[wrk]\nthreads = 2\nconnections = 9\nduration = \"2s\"\ntimeout = \"2s\"\n"
                               "[hosts]\nclients = [{host = \"local\", processes = 2}]\n"
                               "[[server]]\nmodel = \"prefork-epoll\"\n";
    const fs::path out = temp.path() / "results";
    Outcome outcome = run_harness({"run", scenario.string(), "--out", out.string()}, temp.path() / "output.txt");
    ASSERT_EQ(outcome.status, 0) << outcome.output;
    const fs::path dir = results_dir(out);
    const std::vector<std::string> runs = lines_of(dir / "runs.csv");
    ASSERT_EQ(runs.size(), 2u);
    const std::vector<std::string> header = split_csv_line(runs[0]);
    const std::vector<std::string> row = split_csv_line(runs[1]);
    const auto at = [&](const std::string& name) { return csv_column(header, row, name); };
    EXPECT_EQ(at("status"), "ok") << runs[1];
    EXPECT_EQ(at("clients"), "2") << runs[1];
    EXPECT_EQ(at("latency_exact"), "false") << runs[1];
    EXPECT_TRUE(at("client_bound") == "true" || at("client_bound") == "false") << runs[1];
    EXPECT_NE(at("listen_queue_max"), "") << "the local server's listen queue is sampled: " << runs[1];
    EXPECT_EQ(at("round_trip_ms"), "0") << "clients and server here: " << runs[1];
    EXPECT_EQ(at("little_bound_rtt_rps"), at("little_bound_rps")) << runs[1];

    double rate = 0, requests = 0, lowest_p50 = 1e9, highest_p50 = 0;
    for (const char* client : {"1", "2"}) {
        const fs::path report = dir / "raw" / (std::string("run-001-client-") + client + "-wrk-report.json");
        ASSERT_TRUE(fs::exists(report)) << report;
        EXPECT_TRUE(fs::exists(dir / "raw" / (std::string("run-001-client-") + client + "-warmup-stdout.txt")));
        const nlohmann::json json = nlohmann::json::parse(read_file(report));
        const double count = json["requests"].get<double>();
        EXPECT_GT(count, 0) << report;
        requests += count;
        rate += count / (json["duration_us"].get<double>() / 1e6);
        for (const auto& p : json["percentiles"])
            if (p[0].get<double>() == 50) {
                lowest_p50 = std::min(lowest_p50, p[1].get<double>() / 1e3);
                highest_p50 = std::max(highest_p50, p[1].get<double>() / 1e3);
            }
    }
    EXPECT_EQ(std::stod(at("requests")), requests) << runs[1];
    EXPECT_NEAR(std::stod(at("requests_per_s")), rate, 1e-6 * rate) << "the rates add up: " << runs[1];
    EXPECT_GE(std::stod(at("latency_p50_ms")), lowest_p50 - 1e-9) << runs[1];
    EXPECT_LE(std::stod(at("latency_p50_ms")), highest_p50 + 1e-9) << runs[1];

    const std::vector<std::string> spectra = lines_of(dir / "latency-clients.csv");
    ASSERT_FALSE(spectra.empty());
    EXPECT_EQ(spectra[0], "run_id,server,client,client_name,percentile,latency_ms");
    int first = 0, second = 0;
    for (std::size_t i = 1; i < spectra.size(); ++i) {
        const std::vector<std::string> line = split_csv_line(spectra[i]);
        first += line[2] == "1" && line[3] == "local#1";
        second += line[2] == "2" && line[3] == "local#2";
    }
    EXPECT_EQ(first, 103) << "each wrk's 103 percentiles";
    EXPECT_EQ(second, 103);

    const nlohmann::json meta = nlohmann::json::parse(read_file(dir / "meta.json"));
    const nlohmann::json& clients = meta["runs"][0]["clients"];
    ASSERT_EQ(clients.size(), 2u) << meta["runs"][0].dump();
    EXPECT_NE(clients[0].get<std::string>().find(" -c 5 "), std::string::npos) << clients.dump();
    EXPECT_NE(clients[1].get<std::string>().find(" -c 4 "), std::string::npos) << clients.dump();
    EXPECT_GE(meta["runs"][0]["start_skew_ms"].get<double>(), 0);
    EXPECT_NE(read_file(dir / "summary.md").find("*Several wrk:*"), std::string::npos) << "the summary says the latency is merged";
    EXPECT_TRUE(processes_mentioning(temp.path().string()).empty()) << "the harness left processes running";
}

// --dry-run of a scenario with several clients: the one command, and how
// the run's connections split over the client processes; nothing is run.
TEST_F(EndToEnd, DryRunShowsHowTheConnectionsSplitOverTheClients) {
    const fs::path scenario = temp.path() / "split.toml";
    std::ofstream(scenario) << "description = \"split\"\nrepetitions = 1\n[handler]\ndelay = \"10ms\"\n"
                               "[wrk]\nthreads = 2\nconnections = 9\nduration = \"1s\"\n"
                               "[hosts]\nclients = [{host = \"local\", processes = 2}]\n"
                               "[[server]]\nmodel = \"prefork-epoll\"\n";
    const fs::path out = temp.path() / "results";
    Outcome outcome = run_harness({"run", scenario.string(), "--out", out.string(), "--dry-run"}, temp.path() / "output.txt");
    ASSERT_EQ(outcome.status, 0) << outcome.output;
    EXPECT_NE(outcome.output.find("split over 2 client processes: local#1 c=5, local#2 c=4"), std::string::npos)
        << outcome.output;
    EXPECT_FALSE(fs::exists(out)) << "a dry run writes no results";
}

} // namespace
} // namespace pb::harness
