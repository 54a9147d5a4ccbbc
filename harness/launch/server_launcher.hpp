#pragma once
// Starting one of our servers for a run, proving it answers, taking its
// counters, and stopping it.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "guard/watchdog.hpp"
#include "launch/launched_server.hpp"
#include "measure/stats_csv.hpp"

namespace pb::harness {

struct ServerLaunch {
    std::vector<std::string> argv;   // binary and flags, without --listen and --stats
    std::vector<int> cpus;
    std::string listen = "127.0.0.1";  // 0.0.0.0 when clients on other hosts must reach it
    std::filesystem::path stats_file;
    std::filesystem::path stderr_file;
    std::string run_marker;          // "NAME=value" put into its environment (leftover_processes.hpp)
    std::chrono::milliseconds ready_timeout{10'000};
};

class RunningServer : public LaunchedServer {
public:
    explicit RunningServer(const ServerLaunch& launch);

    std::uint16_t port() const override { return port_; }
    pid_t pid() const override { return process_.pid(); }
    const std::vector<std::string>& command() const override { return command_; }

    // The counters so far (SIGUSR1 makes the server write its stats file).
    std::optional<std::vector<WorkerRow>> counters_now(std::chrono::milliseconds timeout) override;

    // SIGTERM, wait (drain); SIGKILL to the group after `timeout`. Returns
    // true if it had to kill. Throws if the exit status was not 0 or
    // something of the run was left. A second call does nothing.
    bool stop(std::chrono::milliseconds timeout) override;
    std::vector<WorkerRow> final_counters() const override;

private:
    ServerLaunch launch_;
    std::vector<std::string> command_;
    ChildProcess process_;
    WatchedGroup watched_{process_.pid()}; // released by stop() once the group is empty
    std::uint16_t port_ = 0;
    bool stopped_ = false, killed_ = false;
};

// The server's stderr, for a failure message (at most the last few lines).
std::string tail_of_file(const std::filesystem::path& file, std::size_t max_lines = 10);

} // namespace pb::harness
