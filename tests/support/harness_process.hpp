#pragma once
// The real harness binary as a test runs it: its command, its output, the
// processes it leaves, its results directory. For the end-to-end tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "common/child_process.hpp"

namespace test_support {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string read_file(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

inline std::vector<std::string> lines_of(const fs::path& file) {
    std::vector<std::string> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

inline std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char c : line) {
        if (c == '"') quoted = !quoted;
        else if (c == ',' && !quoted) {
            fields.push_back(field);
            field.clear();
        } else field += c;
    }
    fields.push_back(field);
    return fields;
}

// The field of `row` under column `name` of `header` (runs.csv's first line);
// throws when there is no such column.
inline std::string csv_column(const std::vector<std::string>& header, const std::vector<std::string>& row,
                              const std::string& name) {
    const auto found = std::find(header.begin(), header.end(), name);
    if (found == header.end()) throw std::runtime_error("runs.csv has no column " + name);
    return row.at(static_cast<std::size_t>(found - header.begin()));
}

// The one results directory below out/<host>/.
inline fs::path results_dir(const fs::path& out) {
    for (const auto& host : fs::directory_iterator(out))
        for (const auto& run : fs::directory_iterator(host.path())) return run.path();
    return {};
}

// Processes whose command line or environment mentions `marker`: anything
// the harness started for this test and left behind.
inline std::vector<pid_t> processes_mentioning(const std::string& marker) {
    std::vector<pid_t> found;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        pid_t pid = std::stoi(name);
        if (pid == getpid()) continue;
        for (const char* part : {"cmdline", "environ"}) {
            std::string text = read_file(entry.path() / part);
            if (text.find(marker) != std::string::npos) {
                found.push_back(pid);
                break;
            }
        }
    }
    return found;
}

inline void write_scenario(const fs::path& file, const std::string& servers, const std::string& duration = "2s") {
    std::ofstream(file) << "description = \"end-to-end test\"\nrepetitions = 1\nwarmup = \"1s\"\n"
                           "[handler]\ndelay = \"10ms\"\n[wrk]\nthreads = 2\nconnections = 16\nduration = \""
                        << duration << "\"\ntimeout = \"2s\"\n"
                        << servers;
}

struct Outcome {
    int status = -1;
    std::string output;
    pid_t pid = 0; // the harness's
};

// The harness with `args`: stdout to `output_file`, or through a pipe (read
// with read_line() and output()) when that is empty; stderr to `error_file`.
// Each harness gets a run lock of its own beside its output (the machine's
// lock would make a test wait for a benchmark); --lock overrides it.
inline pb::ChildSpec harness_spec(const std::vector<std::string>& args, const fs::path& output_file, const fs::path& error_file) {
    pb::ChildSpec spec;
    spec.argv = {PREFORK_BENCH_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.stdout_file = output_file;
    spec.stderr_file = error_file;
    spec.die_with_parent = true; // a test killed by its timeout leaves no harness running
    spec.env.emplace_back("PREFORK_BENCH_LOCK", ((output_file.empty() ? error_file : output_file).string() + ".lock"));
    return spec;
}

// Waits for the harness to exit, reading its stdout pipe if it has one (so
// that a full pipe cannot stall it); its exit status and all it printed.
inline Outcome finish(pb::ChildProcess& harness, const fs::path& output_file, const fs::path& error_file) {
    const auto deadline = std::chrono::steady_clock::now() + 300'000ms;
    while (!harness.output_ended() && std::chrono::steady_clock::now() < deadline) harness.read_line(1000ms);
    Outcome outcome;
    outcome.pid = harness.pid();
    if (harness.wait_for(300'000ms) && WIFEXITED(*harness.wait_status()))
        outcome.status = WEXITSTATUS(*harness.wait_status());
    outcome.output = (output_file.empty() ? harness.output() : read_file(output_file)) + read_file(error_file);
    return outcome;
}

inline Outcome run_harness(const std::vector<std::string>& args, const fs::path& output_file) {
    const fs::path error_file = output_file.string() + ".err";
    pb::ChildProcess harness(harness_spec(args, output_file, error_file));
    return finish(harness, output_file, error_file);
}

// Waits for `text` on the stdout pipe; false if the output ends first or
// `timeout` passes. A progress line has no newline until its run ends, so
// what counts is all that was read, not whole lines.
inline bool wait_for_output(pb::ChildProcess& child, std::string_view text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (child.output().find(text) == std::string::npos) {
        if (child.output_ended() || std::chrono::steady_clock::now() >= deadline) return false;
        child.read_line(100ms); // waits for more bytes, which output() then holds
    }
    return true;
}

// Polls /proc until a process mentions `marker`; false after `timeout`.
inline bool wait_for_process_mentioning(const std::string& marker, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (processes_mentioning(marker).empty()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

} // namespace test_support
