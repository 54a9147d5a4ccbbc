#include "common/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "common/cpus.hpp"
#include "common/program_path.hpp"
#include "common/system_error.hpp"

extern char** environ;

namespace pb {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Everything exec needs, built before fork: after fork in a threaded process
// only async-signal-safe calls are allowed, so nothing is allocated there.
struct ExecImage {
    std::vector<std::string> strings;
    std::vector<char*> argv, envp;
    CpuMask cpus;
    bool die_with_parent = false;
    pid_t parent = 0;
};

ExecImage make_image(const ChildSpec& spec) {
    ExecImage image;
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry = *e;
        std::string name = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& [key, value] : spec.env) replaced = replaced || key == name;
        if (!replaced) env.push_back(entry);
    }
    for (const auto& [key, value] : spec.env) env.push_back(key + "=" + value);
    image.strings = spec.argv;
    image.strings.insert(image.strings.end(), env.begin(), env.end());
    for (std::size_t i = 0; i < spec.argv.size(); ++i) image.argv.push_back(image.strings[i].data());
    image.argv.push_back(nullptr);
    for (std::size_t i = spec.argv.size(); i < image.strings.size(); ++i) image.envp.push_back(image.strings[i].data());
    image.envp.push_back(nullptr);
    image.cpus = CpuMask(spec.cpus);
    image.die_with_parent = spec.die_with_parent;
    image.parent = getpid();
    return image;
}

Fd open_output(const std::filesystem::path& path) {
    Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw_system_error("open", path.string());
    return fd;
}

void write_message(const char* text) { (void)!write(STDERR_FILENO, text, strlen(text)); }

// dup2 onto `target`; a descriptor already there only loses close-on-exec.
bool move_to(int fd, int target) {
    if (fd == target) return fcntl(fd, F_SETFD, 0) == 0;
    return dup2(fd, target) == target;
}

// In the child: async-signal-safe calls only. A failure is reported on the
// stderr it has and ends the child with status 127.
[[noreturn]] void exec_child(const ExecImage& image, int in, int out, int err) {
    if (image.die_with_parent) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != image.parent) _exit(127); // the parent died before prctl
    }
    setpgid(0, 0); // its own group: Ctrl-C on the parent does not reach it, kill_group() does
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signo = 1; signo < NSIG; ++signo)
        if (signo != SIGKILL && signo != SIGSTOP) sigaction(signo, &default_action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!move_to(in, STDIN_FILENO) || (out >= 0 && !move_to(out, STDOUT_FILENO)) ||
        (err >= 0 && !move_to(err, STDERR_FILENO))) {
        write_message("child process: dup2 of stdin, stdout or stderr failed\n");
        _exit(127);
    }
    if (const int error = image.cpus.apply_to_current_process(); error != 0) {
        // strerror is not async-signal-safe; the errno's name is enough.
        write_message(error == EINVAL ? "child process: sched_setaffinity: EINVAL (no such CPU)\n"
                                      : "child process: sched_setaffinity failed\n");
        _exit(127);
    }
    execve(image.argv[0], image.argv.data(), image.envp.data());
    // strerror of a known errno reads glibc's static table: safe in practice.
    const char* reason = strerror(errno);
    write_message("child process: execve ");
    write_message(image.argv[0]);
    write_message(": ");
    write_message(reason);
    write_message("\n");
    _exit(127);
}

} // namespace

ChildProcess::ChildProcess(const ChildSpec& spec) {
    if (spec.argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
    if (access(spec.argv[0].c_str(), X_OK) != 0) throw_system_error("access X_OK", spec.argv[0]);
    const ExecImage image = make_image(spec);
    Fd in, stdin_writer;
    if (spec.stdin_pipe) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) throw_system_error("pipe2", spec.argv[0] + " stdin");
        in.reset(fds[0]);
        stdin_writer.reset(fds[1]);
    } else {
        in.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!in) throw_system_error("open", "/dev/null");
    }
    Fd out, err, pipe_read;
    if (spec.stdout_file.empty()) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) throw_system_error("pipe2", spec.argv[0] + " stdout");
        pipe_read.reset(fds[0]);
        out.reset(fds[1]);
        // Before fork: nothing may throw once the child exists.
        if (fcntl(pipe_read.get(), F_SETFL, O_NONBLOCK) != 0) throw_system_error("fcntl O_NONBLOCK", spec.argv[0] + " stdout");
    } else {
        out = open_output(spec.stdout_file);
    }
    if (spec.stderr_to_stdout || (!spec.stderr_file.empty() && spec.stderr_file == spec.stdout_file)) {
        err.reset(fcntl(out.get(), F_DUPFD_CLOEXEC, 0)); // one file, one offset: both streams interleave
        if (!err) throw_system_error("fcntl F_DUPFD_CLOEXEC", spec.argv[0] + " stdout");
    } else if (!spec.stderr_file.empty()) {
        err = open_output(spec.stderr_file);
    }

    pid_ = fork();
    if (pid_ < 0) throw_system_error("fork", spec.argv[0]);
    if (pid_ == 0) exec_child(image, in.get(), out.get(), err.get());
    setpgid(pid_, pid_); // also from the parent, so the group exists before we signal it
    stdout_pipe_ = std::move(pipe_read);
    stdin_writer_ = std::move(stdin_writer);
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !exited()) kill_group();
}

bool ChildProcess::exited() {
    if (status_) return true;
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) status_ = status;
    else if (r < 0 && errno == ECHILD) status_ = 0; // already reaped elsewhere
    return status_.has_value();
}

bool ChildProcess::wait_for(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!exited()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(milliseconds(10));
    }
    return true;
}

void ChildProcess::signal(int signo) const {
    if (pid_ > 0 && !status_) ::kill(pid_, signo);
}

void ChildProcess::kill_group() {
    if (pid_ <= 0) return;
    // While the leader is unreaped its ID cannot be reused; afterwards only
    // signal a group that still has members.
    if (!status_ || ::kill(-pid_, 0) == 0) ::kill(-pid_, SIGKILL);
    if (!status_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        pid_t reaped;
        while ((reaped = waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
        }
        // Without a status (someone else reaped it) it still is gone: record a kill.
        status_ = reaped == pid_ ? status : SIGKILL;
    }
}

void ChildProcess::read_output(milliseconds wait) {
    if (!stdout_pipe_) return;
    pollfd fd{stdout_pipe_.get(), POLLIN, 0};
    const int rc = poll(&fd, 1, static_cast<int>(wait.count()));
    if (rc < 0 && errno != EINTR) throw_system_error("poll", "child stdout");
    if (rc <= 0) return;
    char buffer[4096];
    for (;;) {
        const ssize_t n = read(stdout_pipe_.get(), buffer, sizeof buffer);
        if (n > 0) {
            output_.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) stdout_pipe_.reset(); // end of output
        else if (errno == EINTR) continue;
        else if (errno != EAGAIN) throw_system_error("read", "child stdout");
        return;
    }
}

const std::string& ChildProcess::output() {
    read_output(milliseconds(0));
    return output_;
}

void ChildProcess::write_stdin(std::string_view text) {
    if (!stdin_writer_) throw std::logic_error("ChildProcess: no stdin pipe to write to");
    while (!text.empty()) {
        const ssize_t n = ::write(stdin_writer_.get(), text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_system_error("write", "the child's stdin");
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::optional<std::string> ChildProcess::read_line(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (auto newline = output_.find('\n', lines_taken_); newline != std::string::npos) {
            std::string line = output_.substr(lines_taken_, newline - lines_taken_);
            lines_taken_ = newline + 1;
            return line;
        }
        if (!stdout_pipe_) return std::nullopt;
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        read_output(std::min(left, milliseconds(100)));
    }
}

std::optional<Captured> capture_output(const std::vector<std::string>& argv, bool with_stderr, milliseconds timeout) {
    const std::optional<std::string> program = argv.empty() ? std::nullopt : resolve_program(argv[0]);
    if (!program) return std::nullopt;
    ChildSpec spec;
    spec.argv = argv;
    spec.argv[0] = *program;
    if (with_stderr) spec.stderr_to_stdout = true;
    else spec.stderr_file = "/dev/null";
    try {
        ChildProcess child(spec);
        const auto deadline = Clock::now() + timeout;
        while (!child.output_ended() && Clock::now() < deadline) child.read_line(milliseconds(100));
        if (!child.wait_for(milliseconds(1000))) return std::nullopt; // the destructor kills it
        const int status = *child.wait_status();
        return Captured{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), child.output()};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

} // namespace pb
