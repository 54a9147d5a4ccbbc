#include "guard/watchdog.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <stdexcept>
#include <set>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "common/numbers.hpp"
#include "common/system_error.hpp"
#include "guard/marked_processes.hpp"

namespace pb::harness {
namespace {

using namespace std::chrono_literals;

// How long the watchdog keeps killing what it finds: a dying peer's master
// may still fork for a moment.
constexpr auto cleanup_time = 2s;

Watchdog* current = nullptr;

// Out of the harness's session and group, so that neither a Ctrl-C on its
// terminal nor a kill of its process group reaches the watchdog; deaf to
// the signals that end a harness.
void detach() {
    ::setsid();
    for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::signal(signo, SIG_IGN);
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        // A reader of the harness's stdout sees its end when the harness ends.
        ::dup2(null, STDIN_FILENO);
        ::dup2(null, STDOUT_FILENO);
        ::close(null);
    }
}

// Reads "+PGID\n" and "-PGID\n" lines until the pipe ends.
std::set<pid_t> groups_until_end(int pipe) {
    std::set<pid_t> groups;
    std::string pending;
    char buffer[512];
    for (;;) {
        const ssize_t n = ::read(pipe, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return groups; // the end, or an error: either way the harness is gone
        pending.append(buffer, static_cast<std::size_t>(n));
        for (std::size_t end; (end = pending.find('\n')) != std::string::npos; pending.erase(0, end + 1)) {
            const std::optional<pid_t> group = parse_number<pid_t>(std::string_view(pending).substr(1, end - 1));
            if (!group || *group <= 1) continue;
            if (pending[0] == '+') groups.insert(*group);
            else groups.erase(*group);
        }
    }
}

// Kills what the harness left; says so on stderr if there was anything.
void clean_up(pid_t harness, const std::set<pid_t>& groups) {
    std::size_t killed_groups = 0;
    for (pid_t group : groups)
        if (::kill(-group, 0) == 0 && ::kill(-group, SIGKILL) == 0) ++killed_groups;
    std::vector<MarkedProcess> killed;
    const auto deadline = std::chrono::steady_clock::now() + cleanup_time;
    for (;;) {
        const std::vector<MarkedProcess> left = processes_of_harness(harness);
        if (left.empty() || std::chrono::steady_clock::now() >= deadline) break;
        for (const MarkedProcess& process : left) ::kill(process.pid, SIGKILL);
        killed.insert(killed.end(), left.begin(), left.end());
        std::this_thread::sleep_for(20ms);
    }
    if (killed_groups > 0 || !killed.empty())
        std::fprintf(stderr, "prefork-bench watchdog: the harness (PID %d) ended with processes left; killed %zu process group(s)%s%s\n",
                     static_cast<int>(harness), killed_groups, killed.empty() ? "" : " and ",
                     killed.empty() ? "" : describe(killed).c_str());
}

[[noreturn]] void run_watchdog(int pipe, pid_t harness) {
    detach();
    clean_up(harness, groups_until_end(pipe));
    ::_exit(0);
}

// Threads of this process now (the entries of /proc/self/task).
std::size_t thread_count() {
    std::error_code error;
    std::size_t count = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/task", error); !error && it != std::filesystem::directory_iterator();
         it.increment(error))
        ++count;
    if (error) throw_system_error("opendir", "/proc/self/task", error.value());
    return count;
}

} // namespace

Watchdog::Watchdog() {
    // The child runs on without exec: with another thread, a lock it held
    // (malloc's, say) would stay locked in the child forever.
    if (const std::size_t threads = thread_count(); threads != 1)
        throw std::logic_error(fmt::format("Watchdog: started with {} threads; start it before any thread", threads));
    int fds[2];
    // Close-on-exec: a server that inherited the write end would keep the
    // pipe open after the harness died, and the watchdog would never act.
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_system_error("pipe2", "watchdog");
    Fd read_end(fds[0]);
    pipe_.reset(fds[1]);
    const pid_t harness = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw_system_error("fork", "watchdog");
    if (pid_ == 0) {
        pipe_.reset();
        run_watchdog(read_end.get(), harness);
    }
    current = this;
}

Watchdog::~Watchdog() {
    if (current == this) current = nullptr;
    pipe_.reset();
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
}

void Watchdog::send(char what, pid_t group) {
    // One short write is atomic on a pipe. A watchdog that died cannot be
    // helped; the harness's own stops still apply, so a failure is ignored.
    const std::string line = what + std::to_string(group) + "\n";
    (void)!::write(pipe_.get(), line.data(), line.size());
}

void Watchdog::watch(pid_t group) { send('+', group); }
void Watchdog::forget(pid_t group) { send('-', group); }

Watchdog* current_watchdog() { return current; }

void watch_group(pid_t group) {
    if (current != nullptr) current->watch(group);
}

void forget_group(pid_t group) {
    if (current != nullptr) current->forget(group);
}

} // namespace pb::harness
