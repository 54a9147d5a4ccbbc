#include "measure/stats_csv.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <stdexcept>
#include <string>

namespace pb::harness {
namespace {

constexpr const char* header =
    "worker,pid,connections,requests,responses_2xx,responses_4xx,responses_5xx,"
    "parse_errors,timeouts,bytes_in,bytes_out,accept_errors,respawns";

class StatsCsvTest : public ::testing::Test {
protected:
    std::filesystem::path write(const std::string& text) {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        const std::filesystem::path file =
            std::filesystem::path(::testing::TempDir()) / (std::string("stats_csv_") + info->name() + ".csv");
        std::ofstream(file) << text;
        files_.push_back(file);
        return file;
    }
    void TearDown() override {
        for (const auto& file : files_) std::filesystem::remove(file);
    }

    // The message read_stats_csv throws for `text`, or "" when it does not.
    std::string error_for(const std::string& text) {
        try {
            read_stats_csv(write(text));
        } catch (const std::runtime_error& error) {
            return error.what();
        }
        return {};
    }

private:
    std::vector<std::filesystem::path> files_;
};

// Every field, so that a test states a whole row and no column goes unchecked
// (a counter added to the list is compared here without a change).
void expect_row(const WorkerRow& actual, const WorkerRow& expected) {
    EXPECT_EQ(actual.worker, expected.worker) << "worker";
    EXPECT_EQ(actual.pid, expected.pid) << "pid";
#define PB_EXPECT_COUNTER(name, meaning) EXPECT_EQ(actual.name, expected.name) << #name;
    PB_WORKER_COUNTERS(PB_EXPECT_COUNTER)
#undef PB_EXPECT_COUNTER
}

// "WORKER,PID,10,20,18,1,1,2,3,1000,2000,4,5" in the header's order: no two
// counters alike, so a column read into the wrong field shows.
WorkerRow distinct_counters(int worker, int pid) {
    return {.worker = worker, .pid = pid, .connections = 10, .requests = 20, .responses_2xx = 18,
            .responses_4xx = 1, .responses_5xx = 1, .parse_errors = 2, .timeouts = 3, .bytes_in = 1000,
            .bytes_out = 2000, .accept_errors = 4, .respawns = 5};
}

TEST_F(StatsCsvTest, ReadsTheServersFormat) {
    const auto rows = read_stats_csv(write(std::string(header) + "\n"
                                           "0,101,10,20,18,1,1,2,3,1000,2000,4,5\n"
                                           "1,102,11,21,21,0,0,0,0,1001,2001,0,0\n"));
    ASSERT_EQ(rows.size(), 2u);
    expect_row(rows[0], distinct_counters(0, 101));
    expect_row(rows[1], {.worker = 1, .pid = 102, .connections = 11, .requests = 21, .responses_2xx = 21,
                         .bytes_in = 1001, .bytes_out = 2001});
}

TEST_F(StatsCsvTest, ColumnsInAnotherOrder) {
    const auto rows = read_stats_csv(write(
        "respawns,accept_errors,bytes_out,bytes_in,timeouts,parse_errors,responses_5xx,responses_4xx,"
        "responses_2xx,requests,connections,pid,worker\n"
        "5,4,2000,1000,3,2,1,1,18,20,10,101,7\n"));
    ASSERT_EQ(rows.size(), 1u);
    expect_row(rows[0], distinct_counters(7, 101));
}

TEST_F(StatsCsvTest, ExtraColumnIsIgnored) {
    const auto rows = read_stats_csv(write(std::string("cpu_ns,") + header + ",note\r\n"
                                           "999,0,101,10,20,18,1,1,2,3,1000,2000,4,5,hello\r\n\n"));
    ASSERT_EQ(rows.size(), 1u);
    expect_row(rows[0], distinct_counters(0, 101));
}

TEST_F(StatsCsvTest, HeaderOnlyIsNoWorkers) {
    EXPECT_TRUE(read_stats_csv(write(std::string(header) + "\n")).empty());
}

TEST_F(StatsCsvTest, BadNumberNamesFileLineAndColumn) {
    const std::string message = error_for(std::string(header) + "\n"
                                          "0,101,10,20,18,1,1,2,3,1000,2000,4,5\n"
                                          "1,102,11,x21,21,0,0,0,0,1001,2001,0,0\n");
    EXPECT_NE(message.find("stats_csv_BadNumberNamesFileLineAndColumn.csv"), std::string::npos) << message;
    EXPECT_NE(message.find("line 3"), std::string::npos) << message;
    EXPECT_NE(message.find("'requests'"), std::string::npos) << message;
    EXPECT_NE(message.find("'x21'"), std::string::npos) << message;
}

TEST_F(StatsCsvTest, NegativeOrEmptyValueIsAnError) {
    EXPECT_NE(error_for(std::string(header) + "\n0,101,-1,20,18,1,1,2,3,1000,2000,4,5\n").find("'connections'"),
              std::string::npos);
    EXPECT_NE(error_for(std::string(header) + "\n0,101,10,20,18,1,1,2,3,1000,2000,4,\n").find("'respawns'"),
              std::string::npos);
}

TEST_F(StatsCsvTest, WrongFieldCountNamesTheLine) {
    const std::string message = error_for(std::string(header) + "\n0,101,10\n");
    EXPECT_NE(message.find("line 2"), std::string::npos) << message;
    EXPECT_NE(message.find("expected 13 fields"), std::string::npos) << message;
}

TEST_F(StatsCsvTest, MissingColumnIsNamed) {
    const std::string message = error_for("worker,pid,connections\n0,1,2\n");
    EXPECT_NE(message.find("missing column 'requests'"), std::string::npos) << message;
}

TEST_F(StatsCsvTest, MissingFileIsAnError) {
    EXPECT_THROW(read_stats_csv("/nonexistent/stats.csv"), std::runtime_error);
}

WorkerRow row(int worker, int pid, std::uint64_t connections, std::uint64_t requests) {
    WorkerRow r;
    r.worker = worker;
    r.pid = pid;
    r.connections = connections;
    r.requests = requests;
    r.responses_2xx = requests;
    r.bytes_out = requests * 100;
    r.respawns = 1;
    return r;
}

TEST(StatsCsvSubtractTest, CountersMinusBaselinePidFromFinal) {
    const auto delta = subtract({row(0, 201, 30, 300), row(1, 202, 12, 120)}, {row(0, 101, 10, 100), row(1, 102, 2, 20)});
    ASSERT_EQ(delta.size(), 2u);
    expect_row(delta[0], {.worker = 0, .pid = 201, .connections = 20, .requests = 200, .responses_2xx = 200,
                          .bytes_out = 20000, .respawns = 0});
    expect_row(delta[1], {.worker = 1, .pid = 202, .connections = 10, .requests = 100, .responses_2xx = 100,
                          .bytes_out = 10000, .respawns = 0});
}

TEST(StatsCsvSubtractTest, MatchesByWorkerIndexNotPosition) {
    const auto delta = subtract({row(0, 201, 30, 300), row(1, 202, 12, 120)}, {row(1, 102, 2, 20), row(0, 101, 10, 100)});
    ASSERT_EQ(delta.size(), 2u);
    EXPECT_EQ(delta[0].connections, 20u);
    EXPECT_EQ(delta[1].connections, 10u);
}

TEST(StatsCsvSubtractTest, WorkerMissingFromBaselineCountsFromZero) {
    const auto delta = subtract({row(0, 201, 30, 300), row(1, 202, 12, 120)}, {row(0, 101, 10, 100)});
    ASSERT_EQ(delta.size(), 2u);
    EXPECT_EQ(delta[1].connections, 12u);
    EXPECT_EQ(delta[1].requests, 120u);
    EXPECT_EQ(delta[1].respawns, 1u);
}

TEST(StatsCsvSubtractTest, EmptyBaselineIsTheFinalRows) {
    const auto delta = subtract({row(0, 201, 30, 300)}, {});
    ASSERT_EQ(delta.size(), 1u);
    EXPECT_EQ(delta[0].connections, 30u);
}

TEST(StatsCsvSubtractTest, ACounterThatWentBackIsZeroNotWrapped) {
    const auto delta = subtract({row(0, 201, 5, 50)}, {row(0, 101, 10, 100)});
    EXPECT_EQ(delta[0].connections, 0u);
    EXPECT_EQ(delta[0].requests, 0u);
}

} // namespace
} // namespace pb::harness
