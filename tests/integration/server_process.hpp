#pragma once
// Runs one server binary as a child of the test, started the way the harness
// starts it (pb::ChildProcess): stdout through a pipe (for the ready line),
// stderr into a temporary file, killed if the test dies. The destructor
// always stops it (SIGTERM, then SIGKILL, by PID) and reaps it, and kills any
// of its children left behind, so that no failed assertion leaves a process
// running.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "common/child_process.hpp"
#include "common/ready_line.hpp"
#include "common/wait_status.hpp"

namespace itest {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline constexpr milliseconds ready_timeout{10'000};

// Whole milliseconds, for failure messages.
inline long long ms_of(Clock::duration duration) { return std::chrono::duration_cast<milliseconds>(duration).count(); }

using pb::describe_wait_status;
using pb::parse_ready_line;
using pb::ReadyLine;

// ---- /proc inspection -------------------------------------------------------

struct ProcStat {
    pid_t pid = 0;
    char state = '?'; // R, S, D, Z, ...
    pid_t ppid = 0;
};
std::optional<ProcStat> read_proc_stat(pid_t pid);
// Exists and is not a zombie.
bool is_alive(pid_t pid);
// Processes whose parent is `parent`, sorted by pid; zombies only if asked.
std::vector<pid_t> children_of(pid_t parent, bool with_zombies);
inline std::vector<pid_t> live_children_of(pid_t parent) { return children_of(parent, false); }

// Sockets the process holds open: its /proc/PID/fd links to "socket:[...]".
std::size_t open_sockets(pid_t pid);

// Checks `done` every few milliseconds until it holds; false after `timeout`.
// For states nothing announces (a file renamed into place, sockets closed).
bool wait_until(const std::function<bool()>& done, milliseconds timeout);

// Reaps (waitpid) the zombies among this process's children that are not a
// running ServerProcess: orphans re-parented to the test (it is a child
// subreaper, see main.cpp).
void reap_orphan_zombies();
// Kills and reaps every child of this process that is not a running
// ServerProcess. Returns the pids that were still alive.
std::vector<pid_t> kill_orphans();

class ServerProcess {
public:
    ServerProcess(std::string binary, std::vector<std::string> args);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    // Waits for the ready line on stdout (pb::wait_for_ready, as the harness
    // does). False on timeout, on end of stdout or when the process exits
    // first; error() says which.
    bool wait_ready(milliseconds timeout = ready_timeout);
    const ReadyLine& ready() const { return ready_; }
    int port() const { return ready_.port; }
    pid_t pid() const { return process_.pid(); }

    // True until the process has exited (reaped here).
    bool running();
    void signal(int sig) const { process_.signal(sig); }
    // The raw wait status once the process has exited, or nothing after `timeout`.
    std::optional<int> wait_exit(milliseconds timeout);
    std::optional<int> wait_status() const { return process_.wait_status(); }

    // Live children of the server process (empty for a single-process server).
    std::vector<pid_t> children() const { return live_children_of(pid()); }

    // Everything the process wrote to stdout so far.
    std::string stdout_text() { return process_.output(); }
    std::string stderr_text() const;
    const std::string& error() const { return error_; }
    // Command line, state and stderr: for failure messages.
    std::string describe();

    // Stops the process if it runs (SIGTERM, up to `grace`, then SIGKILL),
    // reaps it, then waits up to 2 s for its former children to exit and
    // kills what remains. Returns the pids of the children that had to be killed.
    std::vector<pid_t> stop(milliseconds grace = milliseconds(5000));

private:
    std::string command_;
    std::string stderr_path_; // a temporary file, removed with this object
    pb::ChildProcess process_;
    ReadyLine ready_;
    std::string error_;
    std::vector<pid_t> known_children_;
};

// Runs a command that is expected to exit by itself (--help, bad flags, ...).
struct RunResult {
    std::optional<int> status; // wait status; nothing if it had to be killed
    std::string out;
    std::string err;
    bool printed_ready = false;
    int exit_code() const; // -1 unless it exited normally
};
RunResult run_to_exit(const std::string& binary, const std::vector<std::string>& args, milliseconds timeout);

} // namespace itest
