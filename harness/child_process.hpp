#pragma once
// A process the harness starts (a server or wrk): fork + exec with its own
// process group, optional CPU pinning, output to files or a pipe. It is
// always stopped by its PID (and, as a last resort, by its process group's
// ID, which also reaches children the process left behind); the destructor
// never leaves one running.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "core/socket.hpp"

namespace pb::harness {

struct ChildSpec {
    std::vector<std::string> argv;                  // argv[0] is the program path
    std::vector<std::pair<std::string, std::string>> env; // added to the harness's environment
    std::vector<int> cpus;                          // empty: not pinned
    std::filesystem::path stdout_file;              // empty: a pipe, read with read_line()
    std::filesystem::path stderr_file;              // empty: inherited
};

class ChildProcess {
public:
    explicit ChildProcess(const ChildSpec& spec);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    bool exited() const { return status_.has_value(); }
    std::optional<int> wait_status() const { return status_; }

    // A line from the stdout pipe, or nothing on timeout or end of output.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);

    // Waits up to `timeout` for the process to exit; true if it did.
    bool wait_for(std::chrono::milliseconds timeout);
    void signal(int signo) const;
    // Sends SIGKILL to the whole process group (the process and anything it
    // forked that stayed in its group) and reaps the process.
    void kill_group();

private:
    bool try_reap();

    pid_t pid_ = -1;
    std::optional<int> status_;
    pb::Fd stdout_pipe_;
    std::string pending_; // stdout bytes read but not yet returned as a line
};

// "exited with status 1", "killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

} // namespace pb::harness
