#include "launch/worker_restarter.hpp"

#include <algorithm>
#include <csignal>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "common/system_error.hpp"

namespace pb::harness {

std::vector<pid_t> child_processes(pid_t parent) {
    std::vector<pid_t> children;
    const std::filesystem::path tasks = fmt::format("/proc/{}/task", parent);
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
        std::ifstream in(task.path() / "children");
        pid_t pid = 0;
        while (in >> pid) children.push_back(pid);
    }
    std::sort(children.begin(), children.end());
    children.erase(std::unique(children.begin(), children.end()), children.end());
    return children;
}

std::optional<unsigned long long> start_time(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Field 22, counted after the command, which is in parentheses and may hold spaces.
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i < 22 && fields >> field; ++i) {
    }
    unsigned long long ticks = 0;
    if (!(fields >> ticks)) return std::nullopt;
    return ticks;
}

WorkerRestarter::WorkerRestarter(pid_t master, int signal, std::chrono::nanoseconds every)
    : master_(master), signal_(signal), every_(every), start_(Clock::now()), next_(start_ + every) {}

void WorkerRestarter::tick() {
    const auto now = Clock::now();
    if (now < next_) return;
    next_ += every_;
    const std::vector<pid_t> workers = child_processes(master_);
    if (workers.empty())
        throw std::runtime_error(fmt::format("restart: the server (pid {}) has no worker process to signal", master_));
    // The oldest: a replacement is the youngest, so the workers take turns
    // whatever pids the respawns get.
    pid_t pid = workers.front();
    std::optional<unsigned long long> oldest = start_time(pid);
    for (pid_t worker : workers)
        if (const auto started = start_time(worker); started && (!oldest || *started < *oldest)) {
            oldest = started;
            pid = worker;
        }
    if (kill(pid, signal_) != 0) throw_system_error("kill", fmt::format("{}, SIG{}", pid, signal_name(signal_)));
    events_.push_back({std::chrono::duration<double>(now - start_).count(), pid, signal_});
}

void write_restart_events(const std::filesystem::path& path, const std::vector<RestartEvent>& events) {
    std::ostringstream out;
    out << "at_s,pid,signal\n";
    for (const RestartEvent& event : events) out << fmt::format("{:.3f},{},{}\n", event.at_s, event.pid, signal_name(event.signal));
    std::ofstream file(path);
    file << out.str();
    if (!file.flush()) throw std::runtime_error(fmt::format("write {}: failed", path.string()));
}

std::string signal_name(int signal) {
    if (signal == SIGKILL) return "KILL";
    if (signal == SIGTERM) return "TERM";
    return std::to_string(signal);
}

} // namespace pb::harness
