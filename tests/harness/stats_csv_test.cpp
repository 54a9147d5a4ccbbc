#include "measure/stats_csv.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <gtest/gtest.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace pb::harness {
namespace {

// The server's columns, from the one list: worker, pid, then every counter.
std::vector<std::string> server_columns() {
    std::vector<std::string> columns{"worker", "pid"};
#define PB_COUNTER_NAME(name, meaning) columns.push_back(#name);
    PB_WORKER_COUNTERS(PB_COUNTER_NAME)
#undef PB_COUNTER_NAME
    return columns;
}

std::string joined(const std::vector<std::string>& fields) {
    std::string line;
    for (const std::string& field : fields) line += (line.empty() ? "" : ",") + field;
    return line;
}

// A row with worker, pid and each counter distinct (10, 20, 30, ... in list
// order), so that a column read into the wrong field shows; `changed`
// replaces fields by column name. Written in the order of `columns`.
std::string row_text(const std::vector<std::string>& columns, int worker, int pid,
                     const std::map<std::string, std::string>& changed = {}) {
    const std::vector<std::string> known = server_columns();
    std::vector<std::string> fields;
    for (const std::string& column : columns) {
        const auto position = std::find(known.begin(), known.end(), column) - known.begin(); // counters from 2
        std::string value = column == "worker" ? std::to_string(worker)
                            : column == "pid"  ? std::to_string(pid)
                                               : std::to_string(10 * (position - 1));
        if (auto change = changed.find(column); change != changed.end()) value = change->second;
        fields.push_back(value);
    }
    return joined(fields);
}

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

// What row_text writes, as the reader should give it back.
WorkerRow distinct_counters(int worker, int pid) {
    WorkerRow row{.worker = worker, .pid = pid};
    std::uint64_t value = 0;
#define PB_DISTINCT_COUNTER(name, meaning) row.name = (value += 10);
    PB_WORKER_COUNTERS(PB_DISTINCT_COUNTER)
#undef PB_DISTINCT_COUNTER
    return row;
}

TEST_F(StatsCsvTest, ReadsTheServersFormat) {
    const std::vector<std::string> columns = server_columns();
    const auto rows = read_stats_csv(write(joined(columns) + "\n" + row_text(columns, 0, 101) + "\n" +
                                           row_text(columns, 1, 102) + "\n"));
    ASSERT_EQ(rows.size(), 2u);
    expect_row(rows[0], distinct_counters(0, 101));
    expect_row(rows[1], distinct_counters(1, 102));
}

TEST_F(StatsCsvTest, ColumnsInAnotherOrder) {
    std::vector<std::string> columns = server_columns();
    std::reverse(columns.begin(), columns.end());
    const auto rows = read_stats_csv(write(joined(columns) + "\n" + row_text(columns, 7, 101) + "\n"));
    ASSERT_EQ(rows.size(), 1u);
    expect_row(rows[0], distinct_counters(7, 101));
}

TEST_F(StatsCsvTest, ExtraColumnIsIgnored) {
    std::vector<std::string> columns = server_columns();
    columns.insert(columns.begin(), "cpu_ns");
    columns.push_back("note");
    const auto rows = read_stats_csv(
        write(joined(columns) + "\r\n" + row_text(columns, 0, 101, {{"cpu_ns", "999"}, {"note", "hello"}}) + "\r\n\n"));
    ASSERT_EQ(rows.size(), 1u);
    expect_row(rows[0], distinct_counters(0, 101));
}

TEST_F(StatsCsvTest, HeaderOnlyIsNoWorkers) {
    EXPECT_TRUE(read_stats_csv(write(joined(server_columns()) + "\n")).empty());
}

TEST_F(StatsCsvTest, BadNumberNamesFileLineAndColumn) {
    const std::vector<std::string> columns = server_columns();
    const std::string message = error_for(joined(columns) + "\n" + row_text(columns, 0, 101) + "\n" +
                                          row_text(columns, 1, 102, {{"requests", "x21"}}) + "\n");
    EXPECT_NE(message.find("stats_csv_BadNumberNamesFileLineAndColumn.csv"), std::string::npos) << message;
    EXPECT_NE(message.find("line 3"), std::string::npos) << message;
    EXPECT_NE(message.find("'requests'"), std::string::npos) << message;
    EXPECT_NE(message.find("'x21'"), std::string::npos) << message;
}

TEST_F(StatsCsvTest, NegativeOrEmptyValueIsAnError) {
    const std::vector<std::string> columns = server_columns();
    const std::string last = columns.back();
    EXPECT_NE(error_for(joined(columns) + "\n" + row_text(columns, 0, 101, {{"connections", "-1"}}) + "\n")
                  .find("'connections'"),
              std::string::npos);
    EXPECT_NE(error_for(joined(columns) + "\n" + row_text(columns, 0, 101, {{last, ""}}) + "\n").find("'" + last + "'"),
              std::string::npos);
}

TEST_F(StatsCsvTest, WrongFieldCountNamesTheLine) {
    const std::string message = error_for(joined(server_columns()) + "\n0,101,10\n");
    EXPECT_NE(message.find("line 2"), std::string::npos) << message;
    EXPECT_NE(message.find("expected " + std::to_string(server_columns().size()) + " fields"), std::string::npos)
        << message;
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
