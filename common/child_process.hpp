#pragma once
// A process started by fork + exec: a server, wrk, a peer, the summary. It
// gets its own process group, stdin from /dev/null, default signal
// dispositions and an empty signal mask (whatever its parent set up), an
// optional CPU pinning, and stdout to a file or a pipe. It is always stopped
// by its PID (and, as a last resort, by its process group's ID, which also
// reaches children it left behind); the destructor never leaves one running.
// The harness and the integration tests start every process through this.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "common/fd.hpp"

namespace pb {

struct ChildSpec {
    std::vector<std::string> argv;                  // argv[0] is the program path
    std::vector<std::pair<std::string, std::string>> env; // added to (or replacing in) this process's environment
    std::vector<int> cpus;                          // empty: not pinned
    std::filesystem::path stdout_file;              // empty: a pipe, read with read_line()
    std::filesystem::path stderr_file;              // empty: inherited; the stdout file: both into it
    bool stderr_to_stdout = false;                  // stderr where stdout goes (its file or its pipe)
    bool die_with_parent = false;                   // PR_SET_PDEATHSIG: SIGKILL when this process dies
    // stdin a pipe this object holds open (instead of /dev/null) until
    // close_stdin() or its end: a child that waits for the end of its input
    // (ssh running pb-remote) runs until then.
    bool stdin_pipe = false;
};

// One process, owned: neither copied nor moved.
class ChildProcess {
public:
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    // Throws naming the call (access, pipe2, open, fork) that failed.
    explicit ChildProcess(const ChildSpec& spec);
    ~ChildProcess();

    pid_t pid() const { return pid_; }
    // Reaps without blocking: true once the process has exited.
    bool exited();
    std::optional<int> wait_status() const { return status_; }

    // The next line of the stdout pipe, or nothing on timeout or at the end
    // of the output.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    // Everything read from the stdout pipe so far, after reading what is
    // there now (without waiting).
    const std::string& output();
    bool output_ended() const { return !stdout_pipe_; }

    // Waits up to `timeout` for the process to exit; true if it did.
    bool wait_for(std::chrono::milliseconds timeout);
    void signal(int signo) const;
    // Sends SIGKILL to the whole process group (the process and anything it
    // forked that stayed in its group) and reaps the process.
    void kill_group();
    // Closes the stdin pipe (ChildSpec::stdin_pipe): the child reads its end.
    void close_stdin() { stdin_writer_.reset(); }
    // Writes all of text to the stdin pipe; throws naming write() when the
    // child has closed its end.
    void write_stdin(std::string_view text);

private:
    // Reads what the pipe holds, waiting up to `wait` for the first bytes.
    void read_output(std::chrono::milliseconds wait);

    pid_t pid_ = -1;
    std::optional<int> status_;
    Fd stdout_pipe_;
    Fd stdin_writer_;              // ChildSpec::stdin_pipe: the write end, held open
    std::string output_;           // every byte read from the pipe
    std::size_t lines_taken_ = 0;  // of output_, the bytes read_line has returned
};

// What a short command printed and how it ended.
struct Captured {
    int exit_status = 0; // 128 + the signal when killed
    std::string output;
};

// Runs argv (argv[0] found on PATH when it has no '/'), with no shell in
// between, so no argument is ever interpreted; its stdout captured, and its
// stderr too if asked (else discarded). Nothing when it could not be started
// or did not end within `timeout` (it is killed then).
std::optional<Captured> capture_output(const std::vector<std::string>& argv, bool with_stderr,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

} // namespace pb
