#pragma once
// Starting a peer for a run: render its configuration into the run's
// directory, start it on a free port in its own process group, wait until
// the port answers, and at the end stop the whole group and prove nothing
// is left. Peers print no ready line and expose no counters.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "guard/watchdog.hpp"
#include "launch/launched_server.hpp"
#include "scenario/peer_definition.hpp"

namespace pb::harness {

struct PeerLaunch {
    PeerDefinition peer;
    PeerPlaceholders placeholders;   // port 0: a free port is chosen
    std::vector<int> cpus;
    std::filesystem::path stdout_file, stderr_file;
    std::string run_marker;          // "NAME=value" put into its environment
    std::chrono::milliseconds ready_timeout{15'000};
    const std::atomic<bool>* interrupted = nullptr; // Ctrl-C ends the wait for the port
};

class RunningPeer : public LaunchedServer {
public:
    explicit RunningPeer(PeerLaunch launch);

    std::uint16_t port() const override { return port_; }
    pid_t pid() const override { return process_->pid(); }
    const std::vector<std::string>& command() const override { return command_; }
    std::optional<std::vector<WorkerRow>> counters_now(std::chrono::milliseconds) override { return std::nullopt; }

    // The peer's stop signal to its first process; after `timeout`, or once
    // that process is gone, SIGTERM and then SIGKILL to what remains of the
    // group (fasthttp's prefork children outlive their master). A second
    // call does nothing and returns the first one's answer.
    bool stop(std::chrono::milliseconds timeout) override;
    std::vector<WorkerRow> final_counters() const override { return {}; }

private:
    PeerLaunch launch_;
    std::uint16_t port_ = 0;
    std::vector<std::string> command_;
    std::unique_ptr<ChildProcess> process_;
    std::unique_ptr<WatchedGroup> watched_; // released by stop() once the group is empty
    bool stopped_ = false, killed_ = false;
};

// Throws PeerError when the peer's program is missing, saying how to
// install it.
void check_peer_installed(const PeerDefinition& peer, const std::filesystem::path& build_dir);

// A TCP port on 127.0.0.1 that nothing holds right now. A peer needs a real
// number: fasthttp's reuseport children each bind it themselves.
std::uint16_t free_loopback_port();

} // namespace pb::harness
