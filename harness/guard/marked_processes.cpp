#include "guard/marked_processes.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <optional>
#include <sstream>
#include <unistd.h>

#include "common/file_text.hpp"
#include "common/numbers.hpp"
#include "guard/run_marker.hpp"

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

bool alive(const ProcState& state) { return state.state != 'Z' && state.state != 'X'; }

// Calls `visit` with each NUL-separated entry of /proc/PID/environ until it
// returns true; true if one did.
bool any_entry(const std::filesystem::path& proc, const std::function<bool(std::string_view)>& visit) {
    const std::string environ = read_file(proc / "environ");
    for (std::size_t at = 0; at < environ.size();) {
        std::size_t end = environ.find('\0', at);
        if (end == std::string::npos) end = environ.size();
        if (visit(std::string_view(environ).substr(at, end - at))) return true;
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

// The living processes but this one for which `wanted(proc dir, state)` holds.
std::vector<MarkedProcess> scan(const std::function<bool(const std::filesystem::path&, const ProcState&)>& wanted) {
    std::vector<MarkedProcess> found;
    std::error_code error;
    const pid_t self = getpid();
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::optional<pid_t> pid = parse_number<pid_t>(entry.path().filename().string());
        if (!pid || *pid == self) continue;
        const std::optional<ProcState> state = read_state(entry.path());
        if (!state || !alive(*state)) continue; // gone, or only a zombie
        if (wanted(entry.path(), *state)) found.push_back({*pid, command_of(entry.path())});
    }
    return found;
}

// A harness is alive while its PID is a living prefork-bench (comm is the
// executable's name, readable for every process).
bool harness_alive(pid_t harness) {
    const std::filesystem::path proc = "/proc/" + std::to_string(harness);
    const std::optional<ProcState> state = read_state(proc);
    if (!state || !alive(*state)) return false;
    std::string comm = read_file(proc / "comm");
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    return comm == "prefork-bench";
}

} // namespace

std::vector<MarkedProcess> processes_of_run(pid_t group, std::string_view marker) {
    return scan([&](const std::filesystem::path& proc, const ProcState& state) {
        if (group > 0 && state.group == group) return true;
        return !marker.empty() && any_entry(proc, [&](std::string_view entry) { return entry == marker; });
    });
}

std::vector<MarkedProcess> processes_with_entry_prefix(std::string_view prefix) {
    return scan([&](const std::filesystem::path& proc, const ProcState&) {
        return any_entry(proc, [&](std::string_view entry) { return entry.substr(0, prefix.size()) == prefix; });
    });
}

std::vector<MarkedProcess> processes_of_harness(pid_t harness) {
    return scan([&](const std::filesystem::path& proc, const ProcState&) {
        return any_entry(proc, [&](std::string_view entry) { return harness_of_entry(entry) == harness; });
    });
}

std::vector<MarkedProcess> processes_of_gone_harnesses() {
    return scan([](const std::filesystem::path& proc, const ProcState&) {
        return any_entry(proc, [](std::string_view entry) {
            const std::optional<pid_t> harness = harness_of_entry(entry);
            return harness && !harness_alive(*harness);
        });
    });
}

std::string describe(const std::vector<MarkedProcess>& processes) {
    std::string text;
    for (const MarkedProcess& p : processes) text += fmt::format("{}{} ({})", text.empty() ? "" : ", ", p.pid, p.command);
    return text;
}

} // namespace pb::harness
