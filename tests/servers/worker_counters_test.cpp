#include "stats/worker_counters.hpp"

#include "http/handler.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
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
    const auto base = static_cast<std::uint64_t>(slot) * 100;
    WorkerCounters c;
    c.pid = 1000 + slot;
    c.connections = base + 1;
    c.requests = base + 2;
    c.responses_2xx = base + 3;
    c.responses_4xx = base + 4;
    c.responses_5xx = base + 5;
    c.parse_errors = base + 6;
    c.timeouts = base + 7;
    c.bytes_in = base + 8 + 10'000'000'000ull; // beyond 32 bits
    c.bytes_out = base + 9;
    c.accept_errors = base + 10;
    c.respawns = base + 11;
    return c;
}

std::string row(int slot, const WorkerCounters& c) {
    std::string line = std::to_string(slot) + ',' + std::to_string(c.pid);
    for (std::uint64_t value : {c.connections, c.requests, c.responses_2xx, c.responses_4xx, c.responses_5xx,
                                c.parse_errors, c.timeouts, c.bytes_in, c.bytes_out, c.accept_errors, c.respawns})
        line += ',' + std::to_string(value);
    return line;
}

TEST(WriteStatsCsv, HeaderThenOneRowPerSlot) {
    TempDir dir;
    const auto path = dir.path() / "stats.csv";
    std::vector<WorkerCounters> workers{numbered(0), numbered(1), numbered(2)};
    pb::write_stats_csv(path.string(), workers);

    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0], pb::stats_csv_header());
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
