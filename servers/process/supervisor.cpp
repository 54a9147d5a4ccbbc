#include "process/supervisor.hpp"

#include <algorithm>
#include <fcntl.h>
#include <csignal>
#include <cstring>
#include <deque>
#include <exception>
#include <fmt/format.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "common/signals.hpp"
#include "common/socket.hpp"
#include "common/system_error.hpp"
#include "common/wait_status.hpp"

namespace pb {
namespace {

using Clock = std::chrono::steady_clock;

int milliseconds_until(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left + 1, 0, 1'000'000));
}

class Master {
public:
    Master(const SupervisorConfig& config, const ChildMain& child_main, const SupervisorHooks& hooks)
        : config_(config), child_main_(child_main), hooks_(hooks), pids_(static_cast<std::size_t>(config.workers), 0),
          ready_(static_cast<std::size_t>(config.workers), false) {}

    int run();

private:
    void open_channels();
    void spawn(int slot);
    [[noreturn]] void run_child(int slot);
    bool wait_until_ready();
    int serve();
    int stop_all(int exit_code);
    // Reaps every child that has ended; false if one died before its first
    // ready report (a startup failure) or too many died recently.
    bool reap(bool respawn);
    void drain_ready_reports();
    bool take_signal(); // true for SIGTERM/SIGINT
    void write_snapshot();
    int live_children() const;

    const SupervisorConfig& config_;
    const ChildMain& child_main_;
    const SupervisorHooks& hooks_;
    std::vector<pid_t> pids_;
    std::vector<bool> ready_;
    std::deque<Clock::time_point> deaths_;
    Fd signals_;
    Fd ready_read_, ready_write_;
    pid_t master_pid_ = getpid();
    bool stopping_ = false;
};

void Master::open_channels() {
    signals_ = block_into_signalfd({SIGTERM, SIGINT, SIGCHLD, SIGUSR1});
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw_system_error("pipe2", "ready reports");
    ready_read_.reset(fds[0]);
    ready_write_.reset(fds[1]);
    set_nonblocking(ready_read_.get(), true);
}

void Master::spawn(int slot) {
    pid_t pid = fork();
    if (pid < 0) throw_system_error("fork", fmt::format("worker {}", slot));
    if (pid == 0) run_child(slot);
    pids_[static_cast<std::size_t>(slot)] = pid;
}

void Master::run_child(int slot) {
    int code = 1;
    try {
        // Die with the master: a master killed by SIGKILL must not leave
        // orphans that keep the port (the fasthttp prefork complaint).
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) throw_system_error("prctl", "PR_SET_PDEATHSIG");
        if (getppid() != master_pid_) _exit(1); // the master died before prctl
        signals_.reset();
        ready_read_.reset();
        unblock_signals({SIGCHLD});
        int write_fd = ready_write_.release();
        auto ready = [write_fd, slot] {
            std::int32_t report = slot;
            if (write(write_fd, &report, sizeof report) != sizeof report) return; // master gone: PDEATHSIG follows
            close(write_fd);
        };
        code = child_main_(slot, ready);
    } catch (const std::exception& error) {
        fmt::print(stderr, "{}: worker {}: {}\n", config_.name, slot, error.what());
    }
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(code);
}

int Master::live_children() const {
    return static_cast<int>(std::count_if(pids_.begin(), pids_.end(), [](pid_t pid) { return pid > 0; }));
}

bool Master::take_signal() {
    signalfd_siginfo info{};
    bool stop = false;
    while (read(signals_.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) stop = true;
        if (info.ssi_signo == SIGUSR1 && hooks_.on_snapshot) write_snapshot();
    }
    return stop;
}

// A failed snapshot is reported, not fatal: the server keeps serving.
void Master::write_snapshot() {
    try {
        hooks_.on_snapshot();
    } catch (const std::exception& error) {
        fmt::print(stderr, "{}: counters snapshot: {}\n", config_.name, error.what());
    }
}

void Master::drain_ready_reports() {
    std::int32_t report = 0;
    while (read(ready_read_.get(), &report, sizeof report) == sizeof report)
        if (report >= 0 && report < config_.workers) ready_[static_cast<std::size_t>(report)] = true;
}

bool Master::reap(bool respawn) {
    bool healthy = true;
    bool crash_loop_reported = false;
    int status = 0;
    pid_t pid;
    // Deaths only: without WUNTRACED and WCONTINUED a worker that its pauser
    // stops and continues (--pause) is not reported, though each time it
    // raises a SIGCHLD that brings us here. The pausers themselves are the
    // workers' children, never ours.
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        auto it = std::find(pids_.begin(), pids_.end(), pid);
        if (it == pids_.end()) continue;
        *it = 0;
        int slot = static_cast<int>(it - pids_.begin());
        if (stopping_) continue;
        drain_ready_reports();
        if (!ready_[static_cast<std::size_t>(slot)]) {
            fmt::print(stderr, "{}: worker {} (pid {}) {} before it was ready\n", config_.name, slot, pid,
                       describe_wait_status(status));
            healthy = false;
            continue;
        }
        auto now = Clock::now();
        deaths_.push_back(now);
        while (!deaths_.empty() && now - deaths_.front() > config_.death_window) deaths_.pop_front();
        const bool crash_loop = static_cast<int>(deaths_.size()) > config_.max_deaths;
        const bool replace = respawn && healthy && !crash_loop;
        fmt::print(stderr, "{}: worker {} (pid {}) {}; {}\n", config_.name, slot, pid, describe_wait_status(status),
                   replace ? "respawning" : "not replaced");
        if (crash_loop && !crash_loop_reported) {
            crash_loop_reported = true;
            fmt::print(stderr, "{}: {} workers died within {} s; stopping\n", config_.name, deaths_.size(),
                       std::chrono::duration_cast<std::chrono::seconds>(config_.death_window).count());
        }
        if (crash_loop) healthy = false;
        if (replace) {
            ready_[static_cast<std::size_t>(slot)] = false;
            if (hooks_.on_respawn) hooks_.on_respawn(slot);
            spawn(slot);
        }
    }
    return healthy;
}

bool Master::wait_until_ready() {
    const auto deadline = Clock::now() + config_.ready_timeout;
    for (;;) {
        drain_ready_reports();
        if (std::all_of(ready_.begin(), ready_.end(), [](bool r) { return r; })) return true;
        if (Clock::now() >= deadline) {
            fmt::print(stderr, "{}: workers not ready after {} ms\n", config_.name,
                       std::chrono::duration_cast<std::chrono::milliseconds>(config_.ready_timeout).count());
            return false;
        }
        pollfd fds[2] = {{signals_.get(), POLLIN, 0}, {ready_read_.get(), POLLIN, 0}};
        if (poll(fds, 2, milliseconds_until(deadline)) < 0 && errno != EINTR) throw_system_error("poll", "master");
        if (fds[0].revents & POLLIN) {
            if (take_signal()) {
                stopping_ = true;
                return false;
            }
            if (!reap(true)) return false;
        }
    }
}

int Master::serve() {
    for (;;) {
        pollfd fds[2] = {{signals_.get(), POLLIN, 0}, {ready_read_.get(), POLLIN, 0}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR) throw_system_error("poll", "master");
        if (fds[1].revents & POLLIN) drain_ready_reports();
        if (fds[0].revents & POLLIN) {
            if (take_signal()) return stop_all(0);
            if (!reap(true)) return stop_all(1);
        }
    }
}

// SIGTERM lets each child finish what it has in flight; whatever is still
// alive after the drain timeout (plus a grace second) gets SIGKILL. Every
// child is reaped before this returns: no zombies.
int Master::stop_all(int exit_code) {
    stopping_ = true;
    for (pid_t pid : pids_)
        if (pid > 0) kill(pid, SIGTERM);
    const auto deadline = Clock::now() + config_.drain_timeout + std::chrono::seconds(1);
    bool killed = false;
    while (live_children() > 0) {
        reap(false);
        if (live_children() == 0) break;
        if (!killed && Clock::now() >= deadline) {
            for (pid_t pid : pids_)
                if (pid > 0) kill(pid, SIGKILL);
            fmt::print(stderr, "{}: {} workers still running after the drain timeout; killed\n", config_.name,
                       live_children());
            killed = true;
        }
        pollfd fd{signals_.get(), POLLIN, 0};
        poll(&fd, 1, killed ? 100 : milliseconds_until(deadline));
        take_signal();
    }
    if (hooks_.on_exit) hooks_.on_exit();
    return exit_code;
}

int Master::run() {
    open_channels();
    for (int slot = 0; slot < config_.workers; ++slot) spawn(slot);
    if (!wait_until_ready()) return stop_all(stopping_ ? 0 : 1);
    if (hooks_.on_ready) hooks_.on_ready();
    return serve();
}

} // namespace

int supervise(const SupervisorConfig& config, const ChildMain& child_main, const SupervisorHooks& hooks) {
    return Master(config, child_main, hooks).run();
}

} // namespace pb
