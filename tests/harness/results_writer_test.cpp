#include "results/results_writer.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace pb::harness {
namespace {

using namespace std::chrono_literals;
using Row = std::vector<std::string>;

// An RFC 4180 reader, independent of the writer under test.
std::vector<Row> parse_csv(const std::string& text) {
    std::vector<Row> rows;
    Row row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
        } else if (c == '\n') {
            row.push_back(std::move(field));
            field.clear();
            rows.push_back(std::move(row));
            row.clear();
        } else {
            field += c;
        }
    }
    return rows;
}

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Rows as maps from the header's names, for readable assertions.
std::vector<std::map<std::string, std::string>> records(const std::vector<Row>& rows) {
    std::vector<std::map<std::string, std::string>> result;
    for (std::size_t r = 1; r < rows.size(); ++r) {
        std::map<std::string, std::string> record;
        for (std::size_t c = 0; c < rows[0].size() && c < rows[r].size(); ++c) record[rows[0][c]] = rows[r][c];
        result.push_back(record);
    }
    return result;
}

WrkReport measured_report() {
    WrkReport report;
    report.duration_s = 10;
    report.requests = 51200;
    report.bytes = 7168000;
    report.errors.read = 3;
    report.errors.timeout = 2;
    report.latency_min_ms = 100.1;
    report.latency_mean_ms = 100.5;
    report.latency_stdev_ms = 0.25;
    report.latency_max_ms = 140;
    report.percentiles = {{50, 105}, {75, 106}, {90, 107.5}, {99, 109}, {99.9, 112.25}, {100, 140}};
    return report;
}

// What the plan says of a run: both runs below share the load, not the server.
RunResult planned_run(int id, std::string server, std::string model, std::string flags, std::string pinning) {
    RunResult run;
    run.id = id;
    run.server = std::move(server);
    run.model = std::move(model);
    run.flags = std::move(flags);
    run.repetition = 1;
    run.connections = 512;
    run.threads = 4;
    run.delay = 100ms;
    run.pinning = std::move(pinning);
    return run;
}

RunResult ok_run() {
    RunResult run = planned_run(1, "prefork", "prefork-epoll", "--workers 4", "server=0-1 wrk=2-3");
    run.work = 250us;
    run.wrk = measured_report();
    run.server_usage = {.user_s = 1.5, .system_s = 0.5, .peak_rss_mib = 12.5, .voluntary_switches = 1000,
                        .involuntary_switches = 20, .processes = 5, .threads = 5};
    run.wrk_usage = {.user_s = 4, .system_s = 1, .peak_rss_mib = 3, .voluntary_switches = 0,
                     .involuntary_switches = 0, .processes = 1, .threads = 5};
    for (int i = 0; i < 2; ++i) {
        WorkerRow w;
        w.worker = i;
        w.pid = 100 + i;
        w.connections = 256 - static_cast<std::uint64_t>(i) * 6;
        w.requests = 25600;
        w.responses_2xx = 25600;
        run.workers.push_back(w);
    }
    run.listen_queue = {.sampled = true, .max = 7, .at_end = 0};
    return run;
}

// Failed before wrk ran: only what was planned is known.
RunResult failed_run() {
    RunResult run = planned_run(2, "pool, big \"one\"", "threadpool", "--workers 4,--backlog 16", "none");
    run.status = RunStatus::failed;
    run.reason = "server did not print \"ready\"\nwithin 10 s";
    return run;
}

class ResultsWriterTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::path(::testing::TempDir()) / (std::string("results_writer_") + info->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path dir_;
    const std::vector<RunResult> runs_{ok_run(), failed_run()};
};

TEST_F(ResultsWriterTest, RunsHeaderIsExact) {
    write_runs_csv(dir_ / "runs.csv", runs_);
    const auto rows = parse_csv(read_file(dir_ / "runs.csv"));
    ASSERT_FALSE(rows.empty());
    const Row expected = {
        "run_id", "server", "kind", "model", "flags", "repetition", "connections", "threads", "pipeline", "delay_ms",
        "work_ms", "status", "reason", "requests_per_s", "transfer_bytes_per_s", "requests", "duration_s",
        "latency_p50_ms", "latency_p75_ms", "latency_p90_ms", "latency_p99_ms", "latency_p99_9_ms",
        "latency_max_ms", "latency_mean_ms", "latency_stdev_ms", "errors_connect", "errors_read",
        "errors_write", "errors_status", "errors_timeout", "server_cpu_s", "server_cpu_percent",
        "wrk_cpu_percent", "server_rss_mib", "server_voluntary_switches", "server_involuntary_switches",
        "server_processes", "server_threads", "workers_conn_min", "workers_conn_max", "jain_connections",
        "unserved_connections", "listen_queue_max", "listen_queue_end", "listen_queue_median", "little_bound_rps", "efficiency",
        "pinning", "wrk_cpus", "client_bound", "client_bound_reason", "server_killed", "mode", "generator", "cost", "offered_rps", "utilization", "send_lateness_p50_us", "send_lateness_p99_us", "loop", "restart_signal", "restarts", "sysctl", "idle_held", "idle_pss_before_kib", "idle_pss_held_kib",
        "idle_pss_after_kib", "idle_bytes_per_connection", "idle_server_processes", "idle_probes",
        "idle_probe_p50_ms", "idle_probe_p99_ms", "idle_probe_max_ms", "idle_dropped",
        "clients", "round_trip_ms", "little_bound_rtt_rps", "latency_exact"};
    EXPECT_EQ(rows[0], expected);
}

// An idle-connections run fills its own columns and leaves wrk's empty; a
// wrk run leaves the idle ones empty.
TEST_F(ResultsWriterTest, IdleRunsHaveTheirOwnColumns) {
    RunResult idle = planned_run(3, "prefork", "prefork-epoll", "", "server=0 wrk=1");
    idle.mode = "idle-connections";
    idle.threads = 0;
    idle.delay = 100ms; // no Little's-law bound without wrk, even with a wait
    idle.connections = 2000;
    idle.idle.measured = true;
    idle.idle.held = 2000;
    idle.idle.pss_before_bytes = 2048 * 1024;
    idle.idle.pss_held_bytes = 2048 * 1024 + 2000 * 512;
    idle.idle.pss_after_bytes = 2048 * 1024 + 2000 * 600;
    idle.idle.server_processes = 3;
    idle.idle.probe_ms = {0.2, 0.1, 0.3, 4.5};
    idle.idle.dropped = 1;
    const std::vector<RunResult> runs{ok_run(), idle};
    write_runs_csv(dir_ / "runs.csv", runs);
    const auto r = records(parse_csv(read_file(dir_ / "runs.csv")));
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[1].at("mode"), "idle-connections");
    EXPECT_EQ(r[1].at("connections"), "2000");
    EXPECT_EQ(r[1].at("idle_held"), "2000");
    EXPECT_EQ(r[1].at("idle_pss_before_kib"), "2048");
    EXPECT_EQ(r[1].at("idle_pss_held_kib"), "3048");
    EXPECT_EQ(r[1].at("idle_pss_after_kib"), "3219");
    EXPECT_EQ(r[1].at("idle_bytes_per_connection"), "512");
    EXPECT_EQ(r[1].at("idle_server_processes"), "3");
    EXPECT_EQ(r[1].at("idle_probes"), "4");
    EXPECT_EQ(r[1].at("idle_probe_p50_ms"), "0.2");
    EXPECT_EQ(r[1].at("idle_probe_p99_ms"), "4.5");
    EXPECT_EQ(r[1].at("idle_probe_max_ms"), "4.5");
    EXPECT_EQ(r[1].at("idle_dropped"), "1");
    for (const char* empty : {"threads", "requests_per_s", "latency_p50_ms", "errors_connect", "server_cpu_s",
                              "little_bound_rps", "efficiency"})
        EXPECT_EQ(r[1].at(empty), "") << empty;
    EXPECT_EQ(r[0].at("mode"), "wrk");
    for (const char* empty : {"idle_held", "idle_pss_before_kib", "idle_bytes_per_connection", "idle_probes",
                              "idle_probe_p50_ms", "idle_dropped"})
        EXPECT_EQ(r[0].at(empty), "") << empty;
}

// An open loop samples the generator's whole run (warm-up and drain too):
// CPU percentages are over that span, not the measured duration alone.
TEST_F(ResultsWriterTest, AnOpenLoopsCpuPercentIsOverTheWholeSampledRun) {
    RunResult open = runs_[0];
    open.generator = "open";
    open.open.wall_s = 20; // duration_s is 10; server CPU 2 s
    write_runs_csv(dir_ / "runs.csv", std::vector<RunResult>{open});
    auto r = records(parse_csv(read_file(dir_ / "runs.csv")))[0];
    EXPECT_EQ(r["server_cpu_percent"], "10");
}

TEST_F(ResultsWriterTest, OneRowPerRunWithTheMeasuredValues) {
    write_runs_csv(dir_ / "runs.csv", runs_);
    const auto rows = parse_csv(read_file(dir_ / "runs.csv"));
    ASSERT_EQ(rows.size(), 3u);
    for (const Row& row : rows) EXPECT_EQ(row.size(), rows[0].size());
    auto r = records(rows)[0];
    EXPECT_EQ(r["run_id"], "1");
    EXPECT_EQ(r["server"], "prefork");
    EXPECT_EQ(r["delay_ms"], "100");
    EXPECT_EQ(r["work_ms"], "0.25");
    EXPECT_EQ(r["status"], "ok");
    EXPECT_EQ(r["reason"], "");
    EXPECT_EQ(r["requests_per_s"], "5120");
    EXPECT_EQ(r["transfer_bytes_per_s"], "716800");
    EXPECT_EQ(r["requests"], "51200");
    EXPECT_EQ(r["duration_s"], "10");
    EXPECT_EQ(r["latency_p50_ms"], "105");
    EXPECT_EQ(r["latency_p99_9_ms"], "112.25");
    EXPECT_EQ(r["latency_max_ms"], "140");
    EXPECT_EQ(r["latency_stdev_ms"], "0.25");
    EXPECT_EQ(r["errors_read"], "3");
    EXPECT_EQ(r["errors_connect"], "0");
    EXPECT_EQ(r["server_cpu_s"], "2");
    EXPECT_EQ(r["server_cpu_percent"], "20");
    EXPECT_EQ(r["wrk_cpu_percent"], "50");
    EXPECT_EQ(r["server_rss_mib"], "12.5");
    EXPECT_EQ(r["server_processes"], "5");
    EXPECT_EQ(r["workers_conn_min"], "250");
    EXPECT_EQ(r["workers_conn_max"], "256");
    EXPECT_EQ(r["unserved_connections"], "6");
    EXPECT_EQ(r["listen_queue_max"], "7");
    EXPECT_EQ(r["listen_queue_end"], "0");
    EXPECT_EQ(r["pinning"], "server=0-1 wrk=2-3");
    EXPECT_EQ(r["server_killed"], "false");
    EXPECT_NEAR(std::stod(r["little_bound_rps"]), 512 / 0.10025, 1e-6);
    EXPECT_NEAR(std::stod(r["efficiency"]), 5120 / (512 / 0.10025), 1e-9);
    EXPECT_NEAR(std::stod(r["jain_connections"]), (506.0 * 506) / (2 * (256.0 * 256 + 250 * 250)), 1e-12);
}

TEST_F(ResultsWriterTest, NothingInventedForAFailedRun) {
    write_runs_csv(dir_ / "runs.csv", runs_);
    auto r = records(parse_csv(read_file(dir_ / "runs.csv")))[1];
    EXPECT_EQ(r["status"], "failed");
    for (const char* empty : {"requests_per_s", "requests", "duration_s", "latency_p50_ms", "latency_max_ms",
                              "errors_connect", "server_cpu_s", "server_cpu_percent", "wrk_cpu_percent",
                              "server_rss_mib", "server_processes", "workers_conn_min", "jain_connections",
                              "unserved_connections", "listen_queue_max", "efficiency"})
        EXPECT_EQ(r[empty], "") << empty;
    // The bound follows from the plan, not from a measurement.
    EXPECT_EQ(r["little_bound_rps"], "5120");
    EXPECT_EQ(r["work_ms"], "0");
}

TEST_F(ResultsWriterTest, FieldsWithCommasQuotesAndLineBreaksAreQuoted) {
    write_runs_csv(dir_ / "runs.csv", runs_);
    const std::string text = read_file(dir_ / "runs.csv");
    EXPECT_NE(text.find("\"pool, big \"\"one\"\"\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"--workers 4,--backlog 16\""), std::string::npos) << text;
    auto r = records(parse_csv(text))[1];
    EXPECT_EQ(r["server"], "pool, big \"one\"");
    EXPECT_EQ(r["flags"], "--workers 4,--backlog 16");
    EXPECT_EQ(r["reason"], "server did not print \"ready\"\nwithin 10 s");
}

TEST_F(ResultsWriterTest, CsvField) {
    EXPECT_EQ(csv_field("plain"), "plain");
    EXPECT_EQ(csv_field(""), "");
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
}

TEST_F(ResultsWriterTest, LatencyInLongFormForMeasuredRunsOnly) {
    write_latency_csv(dir_ / "latency.csv", runs_);
    const auto rows = parse_csv(read_file(dir_ / "latency.csv"));
    ASSERT_EQ(rows.size(), 7u); // header + the ok run's six percentiles
    EXPECT_EQ(rows[0], (Row{"run_id", "server", "percentile", "latency_ms"}));
    EXPECT_EQ(rows[1], (Row{"1", "prefork", "50", "105"}));
    EXPECT_EQ(rows[5], (Row{"1", "prefork", "99.9", "112.25"}));
    EXPECT_EQ(rows[6], (Row{"1", "prefork", "100", "140"}));
}

// A run that two wrk loaded (wrk_fleet.cpp): its latency is marked as
// merged, Little's bound gains the round trip, and each wrk's percentiles
// go to latency-clients.csv; without such runs there is no such file.
RunResult fleet_run() {
    RunResult run = ok_run();
    run.fleet.clients = {"ssh://root@198.18.0.3#1: wrk -c 256", "ssh://root@198.18.0.4#1: wrk -c 256"};
    run.fleet.round_trip_ms = 1;
    WrkReport a = measured_report(), b = measured_report();
    b.percentiles = {{50, 205}, {75, 206}, {90, 207.5}, {99, 209}, {99.9, 212.25}, {100, 240}};
    run.fleet.wrk_reports = {a, b};
    return run;
}

TEST_F(ResultsWriterTest, ARunOfSeveralWrkSaysItsLatencyIsMergedAndBoundsWithTheRoundTrip) {
    const std::vector<RunResult> runs{fleet_run(), ok_run()};
    write_runs_csv(dir_ / "runs.csv", runs);
    const auto rows = records(parse_csv(read_file(dir_ / "runs.csv")));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].at("clients"), "2");
    EXPECT_EQ(rows[0].at("latency_exact"), "false");
    EXPECT_EQ(rows[0].at("round_trip_ms"), "1");
    EXPECT_NEAR(std::stod(rows[0].at("little_bound_rps")), 512 / 0.10025, 1e-6);
    EXPECT_NEAR(std::stod(rows[0].at("little_bound_rtt_rps")), 512 / 0.10125, 1e-6) << "the round trip added";
    EXPECT_EQ(rows[1].at("clients"), "");
    EXPECT_EQ(rows[1].at("latency_exact"), "true");
    EXPECT_EQ(rows[1].at("little_bound_rtt_rps"), "");

    write_latency_clients_csv(dir_ / "latency-clients.csv", runs);
    const auto spectra = parse_csv(read_file(dir_ / "latency-clients.csv"));
    ASSERT_EQ(spectra.size(), 13u); // header + 6 percentiles of each wrk
    EXPECT_EQ(spectra[0], (Row{"run_id", "server", "client", "client_name", "percentile", "latency_ms"}));
    EXPECT_EQ(spectra[1], (Row{"1", "prefork", "1", "ssh://root@198.18.0.3#1", "50", "105"}));
    EXPECT_EQ(spectra[7], (Row{"1", "prefork", "2", "ssh://root@198.18.0.4#1", "50", "205"}));

    write_latency_clients_csv(dir_ / "none.csv", runs_);
    EXPECT_FALSE(std::filesystem::exists(dir_ / "none.csv"));
}

// workers.csv has a column for every counter of the one list, in its order.
TEST_F(ResultsWriterTest, WorkersOneRowPerWorkerWithEveryCounter) {
    write_workers_csv(dir_ / "workers.csv", runs_);
    const auto rows = parse_csv(read_file(dir_ / "workers.csv"));
    ASSERT_EQ(rows.size(), 3u);
    Row header{"run_id", "server", "worker", "pid"};
#define PB_COUNTER_NAME(name, meaning) header.push_back(#name);
    PB_WORKER_COUNTERS(PB_COUNTER_NAME)
#undef PB_COUNTER_NAME
    EXPECT_EQ(rows[0], header);
    auto cell = [&](std::size_t row, const std::string& column) {
        const auto at = std::find(rows[0].begin(), rows[0].end(), column);
        return at == rows[0].end() ? std::string("(no column)") : rows[row][static_cast<std::size_t>(at - rows[0].begin())];
    };
    for (std::size_t row : {1u, 2u}) {
        ASSERT_EQ(rows[row].size(), header.size()) << "row " << row;
        EXPECT_EQ(cell(row, "run_id"), "1");
        EXPECT_EQ(cell(row, "server"), "prefork");
        EXPECT_EQ(cell(row, "requests"), "25600");
        EXPECT_EQ(cell(row, "responses_2xx"), "25600");
        EXPECT_EQ(cell(row, "respawns"), "0");
    }
    EXPECT_EQ(cell(1, "worker"), "0");
    EXPECT_EQ(cell(1, "pid"), "100");
    EXPECT_EQ(cell(1, "connections"), "256");
    EXPECT_EQ(cell(2, "worker"), "1");
    EXPECT_EQ(cell(2, "pid"), "101");
    EXPECT_EQ(cell(2, "connections"), "250");
}

// wrk 4.1's latency of a pipelined run is not a measurement (results_writer.cpp).
TEST_F(ResultsWriterTest, PipelinedRunHasItsDepthAndNoLatency) {
    RunResult pipelined = ok_run();
    pipelined.pipeline = 16;
    const std::vector<RunResult> runs{pipelined};
    write_runs_csv(dir_ / "runs.csv", runs);
    auto r = records(parse_csv(read_file(dir_ / "runs.csv")))[0];
    EXPECT_EQ(r["pipeline"], "16");
    EXPECT_EQ(r["requests"], "51200");
    for (const char* empty : {"latency_p50_ms", "latency_p99_9_ms", "latency_max_ms", "latency_mean_ms"})
        EXPECT_EQ(r[empty], "") << empty;
    write_latency_csv(dir_ / "latency.csv", runs);
    EXPECT_EQ(parse_csv(read_file(dir_ / "latency.csv")).size(), 1u) << "a header only";
    write_runs_csv(dir_ / "runs.csv", runs_);
    EXPECT_EQ(records(parse_csv(read_file(dir_ / "runs.csv")))[0]["pipeline"], "1");
}

TEST_F(ResultsWriterTest, NoRunsIsAHeaderOnly) {
    write_runs_csv(dir_ / "runs.csv", {});
    EXPECT_EQ(parse_csv(read_file(dir_ / "runs.csv")).size(), 1u);
}

TEST_F(ResultsWriterTest, ReplacesTheFileAndLeavesNoTemporary) {
    write_runs_csv(dir_ / "runs.csv", runs_);
    write_runs_csv(dir_ / "runs.csv", std::span<const RunResult>(runs_).first(1));
    EXPECT_EQ(parse_csv(read_file(dir_ / "runs.csv")).size(), 2u);
    for (const auto& entry : std::filesystem::directory_iterator(dir_))
        EXPECT_EQ(entry.path().filename(), "runs.csv");
}

TEST_F(ResultsWriterTest, UnwritableDirectoryIsAnErrorNamingTheFile) {
    try {
        write_runs_csv(dir_ / "missing" / "runs.csv", runs_);
        FAIL() << "expected an error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("runs.csv"), std::string::npos) << error.what();
    }
}

} // namespace
} // namespace pb::harness
