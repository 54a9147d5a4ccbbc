#include "common/wall_clock.hpp"
#include "hostside/child_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/cpus.hpp"
#include "common/fd.hpp"
#include "common/system_error.hpp"
#include "common/wait_status.hpp"
#include "measure/tree_sampler.hpp"
#include "measure/usage_json.hpp"

namespace pb::hostside {
namespace {


std::int64_t monotonic_ms() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return std::int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1'000'000;
}

void say(const std::string& line) {
    // stdout may be a pipe whose reader is gone (SIGPIPE is blocked): nothing to do then.
    const std::string text = "pb-remote: " + line + "\n";
    [[maybe_unused]] const ssize_t written = ::write(STDOUT_FILENO, text.data(), text.size());
}

// The signals the runner waits on, blocked and read from a signalfd: the
// child's end, and the ends of the runner itself (a SIGTERM from the host,
// SIGHUP when sshd's session goes, SIGPIPE from a closed channel).
sigset_t watched_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int signo : {SIGCHLD, SIGTERM, SIGHUP, SIGINT, SIGPIPE}) sigaddset(&set, signo);
    return set;
}

[[noreturn]] void exec_child(const ChildRun& run, const CpuMask& mask, const sigset_t& original_mask, int go, int go_writer) {
    ::close(go_writer);
    ::setpgid(0, 0);
    // Until the runner has said the PID: nothing the command prints comes first.
    char byte = 0;
    while (::read(go, &byte, 1) < 0 && errno == EINTR) {
    }
    ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    // stdin stays with the runner: the command must not read the channel's EOF.
    if (const int null = ::open("/dev/null", O_RDONLY); null >= 0) {
        ::dup2(null, STDIN_FILENO);
        if (null != STDIN_FILENO) ::close(null);
    }
    for (const auto& [name, value] : run.env) ::setenv(name.c_str(), value.c_str(), 1);
    if (const int error = mask.apply_to_current_process(); error != 0) {
        std::fprintf(stderr, "pb-remote: sched_setaffinity(%s): %s\n", cpu_list(run.cpus).c_str(), std::strerror(error));
        std::_Exit(127);
    }
    std::vector<char*> argv;
    for (const std::string& arg : run.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "pb-remote: execvp(%s): %s\n", argv[0], std::strerror(errno));
    std::_Exit(127);
}

// Waits until the start time, or until the channel closes first (then false).
bool wait_for_start(std::int64_t start_at_ns, int signals) {
    for (;;) {
        const std::int64_t left_ms = (start_at_ns - realtime_ns()) / 1'000'000;
        if (left_ms <= 0) break;
        pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {signals, POLLIN, 0}};
        if (::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left_ms, 1000))) > 0) return false;
    }
    // The last milliseconds exactly.
    const timespec at{static_cast<time_t>(start_at_ns / 1'000'000'000), static_cast<long>(start_at_ns % 1'000'000'000)};
    while (::clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, nullptr) == EINTR) {
    }
    return true;
}

class Runner {
public:
    std::function<void()> on_end; // after the command ended, before the exit line

    Runner(pid_t child, int signals, std::chrono::milliseconds grace) : child_(child), signals_(signals), grace_(grace) {}

    // Until the child exits or the channel asks for a stop; then the stop.
    int run() {
        bool stopping = false;
        std::int64_t kill_at = 0;
        while (!status_) {
            pollfd fds[2] = {{signals_, POLLIN, 0}, {stdin_open_ ? STDIN_FILENO : -1, POLLIN, 0}};
            const int timeout = stopping ? static_cast<int>(std::max<std::int64_t>(kill_at - monotonic_ms(), 0)) : -1;
            const int ready = ::poll(fds, 2, timeout);
            if (ready < 0 && errno != EINTR) throw_system_error("poll", "signalfd and stdin");
            bool stop = false;
            if (fds[0].revents & POLLIN) stop = read_signals();
            if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) stop = stdin_closed() || stop;
            reap();
            if (status_) break;
            if (stop && !stopping) {
                stopping = true;
                kill_at = monotonic_ms() + grace_.count();
                ::kill(child_, SIGTERM);
            } else if (stopping && monotonic_ms() >= kill_at) {
                ::kill(-child_, SIGKILL);
                kill_at = monotonic_ms() + 60'000;
            }
        }
        // Whatever the command left in its group goes with it.
        ::kill(-child_, SIGKILL);
        if (on_end) on_end();
        say("exit " + describe_wait_status(*status_));
        if (WIFEXITED(*status_)) return WEXITSTATUS(*status_);
        return 128 + (WIFSIGNALED(*status_) ? WTERMSIG(*status_) : 0);
    }

private:
    // True when a signal asks the runner itself to stop.
    bool read_signals() {
        bool stop = false;
        signalfd_siginfo info{};
        while (::read(signals_, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
            if (info.ssi_signo != SIGCHLD) stop = true;
        return stop;
    }

    // True at the channel's end; anything the harness writes is ignored.
    bool stdin_closed() {
        char buffer[256];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n > 0) return false;
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return false;
        stdin_open_ = false;
        return true;
    }

    void reap() {
        int status = 0;
        if (::waitpid(child_, &status, WNOHANG) == child_) status_ = status;
    }

    pid_t child_;
    int signals_;
    std::chrono::milliseconds grace_;
    bool stdin_open_ = true;
    std::optional<int> status_;
};

} // namespace

int run_child(const ChildRun& run) {
    if (run.argv.empty()) throw std::runtime_error("pb-remote run: no command after --");
    // Also when the parent (sshd's session, a shell) goes without closing stdin.
    if (::prctl(PR_SET_PDEATHSIG, SIGHUP) != 0) throw_system_error("prctl", "PR_SET_PDEATHSIG");
    const sigset_t watched = watched_signals();
    sigset_t original;
    if (::sigprocmask(SIG_BLOCK, &watched, &original) != 0) throw_system_error("sigprocmask", "SIG_BLOCK");
    const Fd signals(::signalfd(-1, &watched, SFD_NONBLOCK | SFD_CLOEXEC));
    if (signals.get() < 0) throw_system_error("signalfd", "SIGCHLD SIGTERM SIGHUP SIGINT SIGPIPE");
    if (run.start_at_ns && !wait_for_start(*run.start_at_ns, signals.get())) {
        say("exit stopped before the start time");
        return 128 + SIGTERM;
    }
    const CpuMask mask = run.cpus.empty() ? CpuMask() : CpuMask(run.cpus);
    int go[2];
    if (::pipe2(go, O_CLOEXEC) != 0) throw_system_error("pipe2", "the start signal");
    const std::int64_t started = realtime_ns();
    const pid_t child = ::fork();
    if (child < 0) throw_system_error("fork", run.argv[0]);
    if (child == 0) exec_child(run, mask, original, go[0], go[1]);
    ::close(go[0]);
    // Both sides set it, so that no signal to the group can come before it exists.
    ::setpgid(child, child);
    say(fmt::format("pid {} started_ns {}", child, started));
    // The window opens before the command runs, so it holds all of its CPU.
    std::optional<harness::TreeSampler> sampler;
    try {
        if (run.sample_interval.count() > 0) {
            sampler.emplace(child, run.sample_interval, std::function<void()>{}, harness::TreeSampler::RootGone::ends_the_window);
            sampler->start();
        }
    } catch (...) {
        // The command must not go on unwatched: it has not run yet, it never will.
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        throw;
    }
    ::close(go[1]); // the command goes on
    Runner runner(child, signals.get(), run.grace);
    runner.on_end = [&sampler] {
        if (!sampler) return;
        const harness::ProcessUsage usage = sampler->stop();
        const nlohmann::json out = {{"usage", harness::to_json(usage)}, {"cost", harness::to_json(sampler->cost())},
                                    {"error", sampler->error()}};
        say("usage " + out.dump());
    };
    return runner.run();
}

} // namespace pb::hostside
