#pragma once
// One SSH connection to a host for a whole scenario: a master connection
// (OpenSSH's ControlMaster) that every command and channel of the run
// multiplexes over, so that a command costs a round trip, not a handshake.
// Always BatchMode (a password prompt would hang the run) and never a tty.
// The master is a child of the harness, stopped by PID; if the host drops
// out, every later command fails naming it.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "scenario/hosts.hpp"

namespace pb::harness {

struct SshSettings {
    std::vector<std::string> options;    // ssh -o OPTION each
    std::filesystem::path identity;      // ssh -i; empty: ssh's choice
    std::filesystem::path control_dir;   // a private directory for the control socket and ssh's messages
    std::chrono::milliseconds connect_timeout{20'000};
};

// What a command run over SSH printed and how it ended; 255 is ssh's own failure.
struct RemoteOutput {
    int exit_status = 0;
    std::string out, err;
};

class SshSession {
public:
    // Connects; throws std::runtime_error naming the host and ssh's last words.
    SshSession(SshTarget target, SshSettings settings);
    ~SshSession();
    SshSession(const SshSession&) = delete;
    SshSession& operator=(const SshSession&) = delete;

    const SshTarget& target() const { return target_; }
    std::string name() const { return target_.url(); }

    // The local command that runs remote_argv on the host over the master.
    std::vector<std::string> command(const std::vector<std::string>& remote_argv) const;
    // A child's spec for it: stdin a pipe held open (pb-remote run's stop),
    // killed if the harness dies.
    ChildSpec channel(const std::vector<std::string>& remote_argv) const;

    // Runs it to its end; throws naming the host when ssh itself fails (255)
    // or it does not end within the timeout.
    RemoteOutput run(const std::vector<std::string>& remote_argv,
                     std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

    // Whether the master still holds the connection.
    bool alive();

private:
    std::vector<std::string> base(bool master) const;

    SshTarget target_;
    SshSettings settings_;
    std::filesystem::path socket_;
    std::unique_ptr<ChildProcess> master_;
};

} // namespace pb::harness
