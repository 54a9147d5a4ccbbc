#pragma once
// One of our servers started on another host for a run: through pb-remote
// run over the host's SSH master (its ready line read over the channel),
// its counters fetched with pb-remote counters, and stopped by closing the
// channel's stdin (SIGTERM there, its group SIGKILLed after the grace).
// After it stops, its final stats are fetched and the host is checked for
// anything of the run left.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "launch/launched_server.hpp"
#include "remote/remote_hosts.hpp"

namespace pb::harness {

struct RemoteServerLaunch {
    RemoteHost* host = nullptr;
    std::vector<std::string> argv;        // binary (on the host) and flags, without --listen and --stats
    std::filesystem::path remote_stats;   // its --stats file on the host
    std::filesystem::path local_stats;    // where the final stats go (the baseline beside it)
    std::filesystem::path stderr_file;    // local: the server's stderr, and pb-remote's
    std::string marker;                   // NAME=VALUE in its environment there
    std::string address;                  // where clients reach it
    std::chrono::milliseconds ready_timeout{20'000};
};

class RemoteServer : public LaunchedServer {
public:
    // Throws naming the host when it does not start or report ready.
    explicit RemoteServer(RemoteServerLaunch launch);

    std::uint16_t port() const override { return port_; }
    pid_t pid() const override { return pid_; } // on its host
    std::string address() const override { return launch_.address; }
    bool remote() const override { return true; }
    const std::vector<std::string>& command() const override { return command_; }

    std::optional<std::vector<WorkerRow>> counters_now(std::chrono::milliseconds timeout) override;
    bool stop(std::chrono::milliseconds timeout) override;
    std::vector<WorkerRow> final_counters() const override;

    RemoteHost& host() const { return *launch_.host; }

private:
    std::string where() const;

    RemoteServerLaunch launch_;
    std::vector<std::string> command_;
    std::unique_ptr<ChildProcess> channel_;
    pid_t pid_ = 0;
    std::uint16_t port_ = 0;
    bool stopped_ = false, killed_ = false;
};

} // namespace pb::harness
