#pragma once
// Runs one server binary as a child of the test: fork + execv, stdout through
// a pipe (for the ready line), stderr into a temporary file. The destructor
// always stops it (SIGTERM, then SIGKILL, by PID) and reaps it, and kills any
// of its children left behind, so that no failed assertion leaves a process
// running.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace itest {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline constexpr milliseconds ready_timeout{10'000};

// "ready model=<name> listen=<host:port> pid=<pid> workers=<n>"
struct ReadyLine {
    std::string model;
    std::string host;
    int port = 0;
    pid_t pid = 0;
    int workers = 0;
};
std::optional<ReadyLine> parse_ready_line(std::string_view line);

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

// Reaps (waitpid) the zombies among this process's children that are not a
// running ServerProcess: orphans re-parented to the test (it is a child
// subreaper, see main.cpp).
void reap_orphan_zombies();
// Kills and reaps every child of this process that is not a running
// ServerProcess. Returns the pids that were still alive.
std::vector<pid_t> kill_orphans();

// "exited with status 2", "killed by signal 9".
std::string describe_wait_status(int status);

class ServerProcess {
public:
    ServerProcess(std::string binary, std::vector<std::string> args);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    // Waits for the ready line on stdout. False on timeout, on end of stdout
    // or when the process exits first; error() says which.
    bool wait_ready(milliseconds timeout = ready_timeout);
    const ReadyLine& ready() const { return ready_; }
    int port() const { return ready_.port; }
    pid_t pid() const { return pid_; }

    // True until the process has exited (reaped here).
    bool running();
    void signal(int sig) const;
    // The raw wait status once the process has exited, or nothing after `timeout`.
    std::optional<int> wait_exit(milliseconds timeout);
    std::optional<int> wait_status() const { return status_; }

    // Live children of the server process (empty for a single-process server).
    std::vector<pid_t> children() const { return live_children_of(pid_); }

    // Everything the process wrote to stdout so far.
    std::string stdout_text();
    std::string stderr_text() const;
    const std::string& error() const { return error_; }
    // Command line, state and stderr: for failure messages.
    std::string describe();

    // Stops the process if it runs (SIGTERM, up to `grace`, then SIGKILL),
    // reaps it, then waits up to 2 s for its former children to exit and
    // kills what remains. Returns the pids of the children that had to be killed.
    std::vector<pid_t> stop(milliseconds grace = milliseconds(5000));

private:
    void drain_stdout(milliseconds wait);
    bool reap_nonblocking();

    std::string command_;
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    std::string stdout_;
    std::size_t stdout_consumed_ = 0; // bytes of stdout_ already looked at for the ready line
    bool stdout_eof_ = false;
    std::string stderr_path_;
    std::optional<int> status_;
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
