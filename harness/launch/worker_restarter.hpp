#pragma once
// Restarts under load: every `every`, one worker process of a forking server
// gets `signal` (SIGKILL: it dies, its connections are reset; SIGTERM: it
// drains and exits), and the server's master replaces it. The oldest worker
// is signalled each time, so the workers take turns (a replacement is the
// youngest). What the clients see (resets, reconnects) is the
// run's measurement; the signals sent are recorded beside it.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace pb::harness {

struct RestartEvent {
    double at_s = 0;   // since the restarter started
    pid_t pid = 0;     // the worker signalled
    int signal = 0;
};

// The direct children of `parent` (from /proc/PID/task/*/children), sorted.
std::vector<pid_t> child_processes(pid_t parent);
// When a process started (/proc/PID/stat's starttime, clock ticks since boot).
std::optional<unsigned long long> start_time(pid_t pid);

class WorkerRestarter {
public:
    WorkerRestarter(pid_t master, int signal, std::chrono::nanoseconds every);

    // Sends the next signal when it is due; called from the sampler's tick.
    // Throws when the master has no worker to signal, or kill fails.
    void tick();

    const std::vector<RestartEvent>& events() const { return events_; }

private:
    using Clock = std::chrono::steady_clock;
    pid_t master_;
    int signal_;
    std::chrono::nanoseconds every_;
    Clock::time_point start_, next_;
    std::vector<RestartEvent> events_;
};

// "at_s,pid,signal" rows, header first ("KILL", "TERM"). Throws naming the path.
void write_restart_events(const std::filesystem::path& path, const std::vector<RestartEvent>& events);

// "KILL", "TERM", or the number.
std::string signal_name(int signal);

} // namespace pb::harness
