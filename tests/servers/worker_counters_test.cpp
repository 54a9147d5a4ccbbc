#include "stats/worker_counters.hpp"

#include "http/handler.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/shared_memory.hpp"
#include "support/temp_dir.hpp"

namespace {

using pb::Status;
using pb::WorkerCounters;

// Slots share cache lines with no one: each is written by its own worker.
static_assert(sizeof(WorkerCounters) % 64 == 0);
static_assert(alignof(WorkerCounters) == 64);

using test_support::TempDir;

std::vector<std::string> read_lines(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

TEST(WorkerCounters, CountResponseByClass) {
    WorkerCounters c;
    c.count_response(Status::ok);
    c.count_response(Status::bad_request);
    c.count_response(Status::method_not_allowed);
    c.count_response(Status::request_timeout);
    c.count_response(Status::header_fields_too_large);
    c.count_response(Status::not_implemented);
    c.count_response(Status::version_not_supported);
    EXPECT_EQ(c.requests, 7u);
    EXPECT_EQ(c.responses_2xx, 1u);
    EXPECT_EQ(c.responses_4xx, 4u);
    EXPECT_EQ(c.responses_5xx, 2u);
    EXPECT_EQ(c.parse_errors, 0u); // counted where the parse fails, not here
}

WorkerCounters numbered(int slot) {
    // Distinct values per column and slot, so a swapped column shows.
    std::uint64_t value = static_cast<std::uint64_t>(slot) * 100;
    WorkerCounters c;
    c.pid = 1000 + slot;
#define PB_NUMBER_COUNTER(name, meaning) c.name = ++value;
    PB_WORKER_COUNTERS(PB_NUMBER_COUNTER)
#undef PB_NUMBER_COUNTER
    c.bytes_in = c.bytes_in + 10'000'000'000ull; // beyond 32 bits
    return c;
}

std::string row(int slot, const WorkerCounters& c) {
    std::string line = std::to_string(slot) + ',' + std::to_string(c.pid);
#define PB_ROW_VALUE(name, meaning) line += ',' + std::to_string(c.name.get());
    PB_WORKER_COUNTERS(PB_ROW_VALUE)
#undef PB_ROW_VALUE
    return line;
}

// The columns every committed results directory's raw stats files have, in
// their order; a counter added to the list comes after them.
constexpr std::string_view historical_header =
    "worker,pid,connections,requests,responses_2xx,responses_4xx,responses_5xx,"
    "parse_errors,timeouts,bytes_in,bytes_out,accept_errors,respawns";

TEST(StatsCsvHeader, WorkerPidThenEveryCounterOfTheList) {
    std::string expected = "worker,pid";
#define PB_HEADER_NAME(name, meaning) expected += "," #name;
    PB_WORKER_COUNTERS(PB_HEADER_NAME)
#undef PB_HEADER_NAME
    EXPECT_EQ(pb::stats_csv_header(), expected);
    EXPECT_EQ(pb::stats_csv_header().substr(0, historical_header.size()), historical_header);
}

TEST(WriteStatsCsv, HeaderThenOneRowPerSlot) {
    TempDir dir;
    const auto path = dir.path() / "stats.csv";
    std::vector<WorkerCounters> workers{numbered(0), numbered(1), numbered(2)};
    pb::write_stats_csv(path.string(), workers);

    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0], pb::stats_csv_header()); // its columns: StatsCsvHeader
    for (int slot = 0; slot < 3; ++slot) EXPECT_EQ(lines[slot + 1], row(slot, workers[slot]));
}

TEST(WriteStatsCsv, LeavesNoTemporaryFileBehind) {
    TempDir dir;
    const auto path = dir.path() / "stats.csv";
    std::vector<WorkerCounters> workers{numbered(0)};
    pb::write_stats_csv(path.string(), workers);
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        EXPECT_EQ(entry.path().filename(), "stats.csv");
        ++files;
    }
    EXPECT_EQ(files, 1);
}

TEST(WriteStatsCsv, ReplacesAnOldFile) {
    TempDir dir;
    const auto path = dir.path() / "stats.csv";
    std::ofstream(path) << "old\nold\nold\nold\nold\n";
    std::vector<WorkerCounters> workers{numbered(4)};
    pb::write_stats_csv(path.string(), workers);
    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[1], row(0, workers[0]));
}

TEST(WriteStatsCsv, FromSharedMemory) {
    // How the forking servers use it: slots in a SharedArray.
    TempDir dir;
    const auto path = dir.path() / "stats.csv";
    pb::SharedArray<WorkerCounters> slots(2);
    slots[1] = numbered(1);
    pb::write_stats_csv(path.string(), slots.span());
    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[1], row(0, WorkerCounters{}));
    EXPECT_EQ(lines[2], row(1, numbered(1)));
}

TEST(WriteStatsCsv, ThrowsWhenTheDirectoryIsMissing) {
    TempDir dir;
    const auto path = dir.path() / "missing" / "stats.csv";
    std::vector<WorkerCounters> workers{numbered(0)};
    EXPECT_ANY_THROW(pb::write_stats_csv(path.string(), workers));
}

} // namespace
