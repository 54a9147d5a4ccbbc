#include "launch/peer_launcher.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "common/socket.hpp"
#include "common/system_error.hpp"
#include "common/wait_status.hpp"
#include "launch/health_check.hpp"
#include "launch/leftover_processes.hpp"
#include "launch/server_launcher.hpp"

namespace pb::harness {
namespace {

using std::chrono::milliseconds;

// Living members only: an orphaned child that has exited stays a zombie
// until PID 1 reaps it, which can take a while and is not ours to wait for.
bool group_has_members(pid_t group) { return !processes_of_run(group, "").empty(); }

// Waits until nothing is left in the group `leader` leads, up to `timeout`;
// reaps the leader meanwhile.
bool wait_group_empty(ChildProcess& leader, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (group_has_members(leader.pid())) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        if (leader.wait_for(milliseconds(20))) std::this_thread::sleep_for(milliseconds(20));
    }
    return true;
}

bool connects(std::uint16_t port) {
    try {
        connect_loopback(port);
        return true;
    } catch (const std::system_error&) {
        return false;
    }
}

ChildSpec child_spec(const PeerLaunch& launch, const TemplateValues& values, std::vector<std::string> command) {
    ChildSpec spec;
    spec.argv = std::move(command);
    spec.die_with_parent = true; // its own children do not: the watchdog kills its group
    spec.cpus = launch.cpus;
    spec.stdout_file = launch.stdout_file;
    spec.stderr_file = launch.stderr_file;
    for (const auto& [name, value] : launch.peer.env)
        spec.env.emplace_back(name, render_template(value, values, launch.peer.file.string() + ": env." + name));
    if (auto equals = launch.run_marker.find('='); equals != std::string::npos)
        spec.env.emplace_back(launch.run_marker.substr(0, equals), launch.run_marker.substr(equals + 1));
    return spec;
}

std::string output_of(const PeerLaunch& launch) {
    return fmt::format("stderr: {}; stdout: {}", tail_of_file(launch.stderr_file), tail_of_file(launch.stdout_file));
}

} // namespace

std::uint16_t free_loopback_port() {
    pb::Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_system_error("socket", "choosing a free port");
    sockaddr_in address = loopback_address(0);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw_system_error("bind", "127.0.0.1:0 (choosing a free port)");
    socklen_t size = sizeof address;
    if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0)
        throw_system_error("getsockname", "the free port");
    return ntohs(address.sin_port);
}

void check_peer_installed(const PeerDefinition& peer, const std::filesystem::path& build_dir) {
    PeerPlaceholders placeholders;
    placeholders.build_dir = build_dir;
    std::string program = peer_command(peer, peer_values(peer, placeholders)).front();
    if (access(program.c_str(), X_OK) != 0)
        throw PeerError(fmt::format("peer {}: {}: {} (`make build` builds the floor peer; `make peers` installs and builds the others)", peer.name,
                                    program, std::strerror(errno)));
}

RunningPeer::RunningPeer(PeerLaunch launch) : launch_(std::move(launch)) {
    PeerPlaceholders& placeholders = launch_.placeholders;
    if (placeholders.port == 0) placeholders.port = free_loopback_port();
    port_ = placeholders.port;
    std::filesystem::create_directories(placeholders.dir);
    const TemplateValues values = peer_values(launch_.peer, placeholders);
    write_peer_config(launch_.peer, values);
    command_ = peer_command(launch_.peer, values);
    process_ = std::make_unique<ChildProcess>(child_spec(launch_, values, command_));
    watched_ = std::make_unique<WatchedGroup>(process_->pid()); // a peer's children do not die with the harness

    const auto deadline = std::chrono::steady_clock::now() + launch_.ready_timeout;
    while (!connects(port_)) {
        std::string why;
        if (launch_.interrupted != nullptr && launch_.interrupted->load())
            why = fmt::format("was interrupted while waiting for its port {}", port_);
        else if (process_->wait_for(milliseconds(50))) {
            // It left its server running and exited, as a daemon does; a
            // failure status still fails the start.
            const int status = *process_->wait_status();
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && connects(port_)) break;
            why = fmt::format("{} before its port {} answered", describe_wait_status(*process_->wait_status()), port_);
        }
        else if (std::chrono::steady_clock::now() >= deadline)
            why = fmt::format("did not answer on port {} within {} ms", port_, launch_.ready_timeout.count());
        if (why.empty()) continue;
        try {
            stop(milliseconds(1000));
        } catch (const std::exception&) {
            // the start failure is the one to report
        }
        throw std::runtime_error(fmt::format("peer {} {}; {}", launch_.peer.name, why, output_of(launch_)));
    }
}

bool RunningPeer::stop(milliseconds timeout) {
    // Once only: after the first stop the group's ID is free for reuse.
    if (stopped_) return killed_;
    stopped_ = true;
    const pid_t group = process_->pid();
    process_->signal(launch_.peer.stop_signal);
    process_->wait_for(timeout);
    if (group_has_members(group)) {
        ::kill(-group, SIGTERM);
        if (!wait_group_empty(*process_, milliseconds(2000))) {
            process_->kill_group();
            killed_ = true;
        }
    }
    if (!process_->exited()) {
        process_->kill_group();
        killed_ = true;
    }
    std::string left;
    try {
        verify_nothing_left(group, launch_.run_marker, port_, milliseconds(2000));
        watched_->release(); // the group is empty: its ID may be reused now
    } catch (const std::exception& error) {
        left = error.what();
    }
    // Exiting on its own stop signal is how several peers (Go programs) stop.
    const int status = *process_->wait_status();
    const bool clean = (WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
                       (WIFSIGNALED(status) && (WTERMSIG(status) == launch_.peer.stop_signal || WTERMSIG(status) == SIGTERM));
    if (!killed_ && !clean)
        throw std::runtime_error(fmt::format("peer {} {}; {}{}", launch_.peer.name, describe_wait_status(status),
                                             output_of(launch_), left.empty() ? "" : "; " + left));
    if (!left.empty()) throw std::runtime_error(left);
    return killed_;
}

} // namespace pb::harness
