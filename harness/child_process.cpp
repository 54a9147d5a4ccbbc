#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "core/system_error.hpp"

extern char** environ;

namespace pb::harness {
namespace {

using Clock = std::chrono::steady_clock;

// Everything exec needs, built before fork: after fork in a threaded process
// only async-signal-safe calls are allowed, so nothing is allocated there.
struct ExecImage {
    std::vector<std::string> strings;
    std::vector<char*> argv, envp;
    cpu_set_t cpus{};
    bool pinned = false;
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
    CPU_ZERO(&image.cpus);
    for (int cpu : spec.cpus) CPU_SET(cpu, &image.cpus);
    image.pinned = !spec.cpus.empty();
    return image;
}

pb::Fd open_output(const std::filesystem::path& path) {
    pb::Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw_system_error("open", path.string());
    return fd;
}

// In the child: async-signal-safe calls only. A failure is reported on the
// stderr it has (the file) and ends the child with status 127.
[[noreturn]] void exec_child(const ExecImage& image, int out, int err) {
    setpgid(0, 0); // its own group: Ctrl-C on the harness does not reach it, kill_group() does
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (out >= 0) dup2(out, STDOUT_FILENO);
    if (err >= 0) dup2(err, STDERR_FILENO);
    if (image.pinned && sched_setaffinity(0, sizeof image.cpus, &image.cpus) != 0) {
        const char message[] = "harness: sched_setaffinity failed in the child\n";
        (void)!write(STDERR_FILENO, message, sizeof message - 1);
        _exit(127);
    }
    execve(image.argv[0], image.argv.data(), image.envp.data());
    const char message[] = "harness: execve failed: ";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
    const char* reason = strerror(errno);
    (void)!write(STDERR_FILENO, reason, strlen(reason));
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(127);
}

} // namespace

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
    return fmt::format("wait status {}", status);
}

ChildProcess::ChildProcess(const ChildSpec& spec) {
    if (spec.argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
    if (access(spec.argv[0].c_str(), X_OK) != 0) throw_system_error("access X_OK", spec.argv[0]);
    ExecImage image = make_image(spec);
    pb::Fd out, err, pipe_read;
    if (spec.stdout_file.empty()) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) throw_system_error("pipe2", spec.argv[0] + " stdout");
        pipe_read.reset(fds[0]);
        out.reset(fds[1]);
    } else {
        out = open_output(spec.stdout_file);
    }
    if (!spec.stderr_file.empty()) err = open_output(spec.stderr_file);

    pid_ = fork();
    if (pid_ < 0) throw_system_error("fork", spec.argv[0]);
    if (pid_ == 0) exec_child(image, out.get(), err.get());
    setpgid(pid_, pid_); // also from the parent, so the group exists before we signal it
    stdout_pipe_ = std::move(pipe_read);
    if (stdout_pipe_) pb::set_nonblocking(stdout_pipe_.get(), true);
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !exited()) kill_group();
}

bool ChildProcess::try_reap() {
    if (exited()) return true;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) status_ = status;
    else if (r < 0 && errno == ECHILD) status_ = 0; // already reaped elsewhere
    return exited();
}

bool ChildProcess::wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!try_reap()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

void ChildProcess::signal(int signo) const {
    if (pid_ > 0 && !exited()) ::kill(pid_, signo);
}

void ChildProcess::kill_group() {
    if (pid_ <= 0) return;
    // While the leader is unreaped its ID cannot be reused; afterwards only
    // signal a group that still has members.
    if (!exited() || ::kill(-pid_, 0) == 0) ::kill(-pid_, SIGKILL);
    if (!exited()) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        pid_t reaped;
        while ((reaped = waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
        }
        // Without a status (someone else reaped it) it still is gone: record a kill.
        status_ = reaped == pid_ ? status : SIGKILL;
    }
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (auto newline = pending_.find('\n'); newline != std::string::npos) {
            std::string line = pending_.substr(0, newline);
            pending_.erase(0, newline + 1);
            return line;
        }
        if (!stdout_pipe_) return std::nullopt;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return std::nullopt;
        pollfd fd{stdout_pipe_.get(), POLLIN, 0};
        int rc = poll(&fd, 1, static_cast<int>(std::min<long long>(left, 100)));
        if (rc < 0 && errno != EINTR) throw_system_error("poll", "child stdout");
        if (rc <= 0) continue;
        char buffer[4096];
        ssize_t n = read(stdout_pipe_.get(), buffer, sizeof buffer);
        if (n > 0) pending_.append(buffer, static_cast<std::size_t>(n));
        else if (n == 0) stdout_pipe_.reset(); // end of output
        else if (errno != EAGAIN && errno != EINTR) throw_system_error("read", "child stdout");
    }
}

} // namespace pb::harness
