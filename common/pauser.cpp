#include "common/pauser.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

#include "common/system_error.hpp"
#include "common/units.hpp"

namespace pb {
namespace {

using Nanos = std::int64_t; // CLOCK_MONOTONIC, in nanoseconds since its epoch

Nanos monotonic_now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return Nanos{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// splitmix64: one good 64-bit mix is all a random phase needs.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// Uniform in [0, period): each process pauses on its own clock. Need not be
// reproducible, only different between processes started together.
Nanos random_phase(Nanos period) {
    const auto seed = mix((static_cast<std::uint64_t>(getpid()) << 32) ^ static_cast<std::uint64_t>(monotonic_now()));
    return static_cast<Nanos>(seed % static_cast<std::uint64_t>(period));
}

// ---- the child --------------------------------------------------------------
// It runs in a copy of a single-threaded process and only makes system
// calls; it never returns into the server's code (_exit, no destructors).

struct Child {
    pid_t parent;
    int control; // closed (EOF) or gone: the parent is done with us
    int timer = -1;
};

// stderr is the one descriptor kept for this: stdout carries the ready line.
[[noreturn]] void die(const Child& child, const char* call, const char* argument) {
    char line[256];
    const int n = std::snprintf(line, sizeof line, "pauser of pid %d: %s(%s): %s\n", static_cast<int>(child.parent),
                                call, argument, std::strerror(errno));
    // Nowhere is left to report a failed report.
    [[maybe_unused]] const ssize_t written =
        write(STDERR_FILENO, line, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof line) - 1)));
    _exit(1);
}

void redirect_to_null(const Child& child, int fd, int flags) {
    const int null = open("/dev/null", flags | O_CLOEXEC);
    if (null < 0) die(child, "open", "/dev/null");
    if (dup2(null, fd) < 0) die(child, "dup2", "/dev/null");
    close(null);
}

// Keeps stderr and the control socket only: the listener, the master's
// pipes and every connection stay with the server, so that no socket
// outlives it in here and the harness's stdout pipe ends with it.
void drop_descriptors(Child& child) {
    const int control = fcntl(child.control, F_DUPFD_CLOEXEC, 3);
    if (control < 0) die(child, "fcntl F_DUPFD_CLOEXEC", "control socket");
    child.control = control;
    redirect_to_null(child, STDIN_FILENO, O_RDONLY);
    redirect_to_null(child, STDOUT_FILENO, O_WRONLY);
    if (control > 3 && close_range(3, static_cast<unsigned>(control) - 1, 0) != 0) die(child, "close_range", "3..");
    if (close_range(static_cast<unsigned>(control) + 1, ~0U, 0) != 0) die(child, "close_range", "control+1..");
}

void set_up(Child& child) {
    // Die with the parent, whatever kills it; if it is already gone, so are we.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die(child, "prctl", "PR_SET_PDEATHSIG");
    if (getppid() != child.parent) _exit(0);
    if (prctl(PR_SET_NAME, "pb-pauser") != 0) die(child, "prctl", "PR_SET_NAME");
    // A signal that ended us between SIGSTOP and SIGCONT (a SIGTERM to the
    // process group, say) would leave the parent stopped for good: only
    // SIGKILL, which comes with the parent's death, may end us.
    sigset_t all;
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, nullptr) != 0) die(child, "sigprocmask", "SIG_SETMASK all");
    drop_descriptors(child);
    child.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    if (child.timer < 0) die(child, "timerfd_create", "CLOCK_MONOTONIC");
}

enum class Wake { due, parent_done };

// Sleeps until the absolute `deadline`, or until the parent closes its end.
Wake sleep_until(const Child& child, Nanos deadline) {
    itimerspec spec{};
    spec.it_value.tv_sec = std::max<Nanos>(deadline, 1) / 1'000'000'000;
    spec.it_value.tv_nsec = std::max<Nanos>(deadline, 1) % 1'000'000'000;
    if (timerfd_settime(child.timer, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) die(child, "timerfd_settime", "pause");
    for (;;) {
        pollfd fds[2] = {{child.timer, POLLIN, 0}, {child.control, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            die(child, "poll", "timerfd and control socket");
        }
        if (fds[1].revents != 0) return Wake::parent_done; // EOF or error: nothing is ever sent on it
        if (fds[0].revents & POLLIN) return Wake::due;
    }
}

void signal_parent(const Child& child, int signo, const char* name) {
    if (kill(child.parent, signo) == 0) return;
    if (errno == ESRCH) _exit(0); // the parent is gone (PDEATHSIG is on its way)
    die(child, "kill", name);
}

[[noreturn]] void run_pauser(Child child, const PauseSchedule& schedule, Nanos phase) {
    set_up(child);
    const char in_place = 'r';
    if (write(child.control, &in_place, 1) != 1) die(child, "write", "control socket");
    const Nanos pause = schedule.pause.count();
    const Nanos period = schedule.period.count();
    for (Nanos next = monotonic_now() + phase;; next += period) {
        if (sleep_until(child, next) == Wake::parent_done) _exit(0);
        if (getppid() != child.parent) _exit(0);
        signal_parent(child, SIGSTOP, "SIGSTOP");
        // Whatever woke us, the parent is continued before we go: a stopped
        // process cannot close its end, so EOF here means it died meanwhile.
        const Wake woke = sleep_until(child, next + pause);
        signal_parent(child, SIGCONT, "SIGCONT");
        if (woke == Wake::parent_done) _exit(0);
        // Not scheduled for a whole period (a loaded machine): skip the stops
        // already missed rather than pausing back to back to catch up.
        const Nanos now = monotonic_now();
        if (next + period < now) next += (now - next) / period * period;
    }
}

} // namespace

std::optional<PauseSchedule> parse_pause_schedule(std::string_view text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto pause = parse_duration(text.substr(0, slash));
    const auto period = parse_duration(text.substr(slash + 1));
    if (!pause || !period || *pause <= nanoseconds::zero() || *pause >= *period) return std::nullopt;
    return PauseSchedule{*pause, *period};
}

std::string format_pause_schedule(const PauseSchedule& schedule) {
    if (!schedule.enabled()) return "off";
    return format_duration(schedule.pause) + "/" + format_duration(schedule.period);
}

Pauser::Pauser(Pauser&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), control_(std::move(other.control_)) {}

Pauser& Pauser::operator=(Pauser&& other) noexcept {
    if (this != &other) {
        stop();
        pid_ = std::exchange(other.pid_, -1);
        control_ = std::move(other.control_);
    }
    return *this;
}

Pauser Pauser::start(const PauseSchedule& schedule) {
    if (!schedule.enabled()) return {};
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw_system_error("socketpair", "pauser control");
    Fd ours(fds[0]), theirs(fds[1]);
    const pid_t parent = getpid();
    const Nanos phase = random_phase(schedule.period.count());
    const pid_t pid = fork();
    if (pid < 0) throw_system_error("fork", "pauser");
    if (pid == 0) run_pauser(Child{parent, theirs.get()}, schedule, phase);
    theirs.reset();
    Pauser pauser(pid, std::move(ours));
    // Its one byte says it is in place; EOF says it failed (and said why).
    char byte = 0;
    ssize_t n;
    while ((n = read(pauser.control_.get(), &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n < 0) throw_system_error("read", "pauser control socket");
    if (n == 0) throw std::runtime_error("pauser (pid " + std::to_string(pid) + ") exited before it was in place");
    return pauser;
}

void Pauser::stop() {
    if (pid_ <= 0) return;
    control_.reset();
    // The pauser exits as soon as it sees EOF. ECHILD (someone reaped it
    // already) is as good as done; a destructor has nobody to throw to.
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
}

} // namespace pb
