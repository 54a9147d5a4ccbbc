#include "launch/leftover_processes.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <fmt/format.h>
#include <filesystem>
#include <optional>
#include <netinet/in.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "common/socket.hpp"
#include "common/system_error.hpp"
#include "common/file_text.hpp"

namespace pb::harness {
namespace {

// Empty when the process is gone or not ours to read.
std::string read_file(const std::filesystem::path& file) { return read_whole_file(file).value_or(""); }

struct ProcState {
    char state = '?';
    pid_t group = 0;
};

// /proc/PID/stat: "pid (comm) state ppid pgrp ...", comm may hold spaces and ')'.
std::optional<ProcState> read_state(const std::filesystem::path& proc) {
    std::string stat = read_file(proc / "stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    ProcState state;
    pid_t parent = 0;
    if (!(fields >> state.state >> parent >> state.group)) return std::nullopt;
    return state;
}

bool environment_has(const std::filesystem::path& proc, std::string_view marker) {
    if (marker.empty()) return false;
    std::string environ = read_file(proc / "environ");
    for (std::size_t at = 0; at < environ.size();) {
        std::size_t end = environ.find('\0', at);
        if (end == std::string::npos) end = environ.size();
        if (std::string_view(environ).substr(at, end - at) == marker) return true;
        at = end + 1;
    }
    return false;
}

std::string command_of(const std::filesystem::path& proc) {
    std::string command = read_file(proc / "cmdline");
    while (!command.empty() && command.back() == '\0') command.pop_back();
    for (char& c : command)
        if (c == '\0') c = ' ';
    return command.empty() ? "?" : command;
}

std::string describe(const std::vector<LeftoverProcess>& processes) {
    std::string text;
    for (const LeftoverProcess& p : processes) text += fmt::format("{}{} ({})", text.empty() ? "" : ", ", p.pid, p.command);
    return text;
}

} // namespace

std::vector<LeftoverProcess> processes_of_run(pid_t group, std::string_view marker) {
    std::vector<LeftoverProcess> found;
    std::error_code error;
    const pid_t self = getpid();
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(name));
        if (pid == self) continue;
        std::optional<ProcState> state = read_state(entry.path());
        if (!state || state->state == 'Z' || state->state == 'X') continue; // gone, or only a zombie
        if ((group > 0 && state->group == group) || environment_has(entry.path(), marker))
            found.push_back({pid, command_of(entry.path())});
    }
    return found;
}

bool port_in_use(std::uint16_t port) {
    pb::Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_system_error("socket", "port check");
    int on = 1;
    if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
        throw_system_error("setsockopt", "SO_REUSEADDR for the port check");
    sockaddr_in address = loopback_address(port);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return false;
    if (errno == EADDRINUSE) return true;
    throw_system_error("bind", fmt::format("127.0.0.1:{} (port check)", port));
}

void verify_nothing_left(pid_t group, std::string_view marker, std::uint16_t port, std::chrono::milliseconds grace) {
    const auto deadline = std::chrono::steady_clock::now() + grace;
    std::vector<LeftoverProcess> left;
    bool port_held = false;
    for (;;) {
        left = processes_of_run(group, marker);
        port_held = port != 0 && port_in_use(port);
        if (left.empty() && !port_held) return;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (const LeftoverProcess& p : left) ::kill(p.pid, SIGKILL);
    // SIGKILL takes effect asynchronously: confirm before saying so.
    std::vector<LeftoverProcess> survivors = left;
    for (int i = 0; i < 100 && !survivors.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        survivors = processes_of_run(group, marker);
    }
    std::string what;
    if (!left.empty())
        what = fmt::format("{} process(es) of this run still running {} ms after the stop, killed now: {}{}", left.size(),
                           grace.count(), describe(left),
                           survivors.empty() ? "" : fmt::format(" (still alive 1 s after SIGKILL: {})", describe(survivors)));
    if (port_held) what += fmt::format("{}port {} still in use after the stop", what.empty() ? "" : "; ", port);
    throw std::runtime_error(what);
}

} // namespace pb::harness
