#include "server_process.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace itest {
namespace {

// PIDs of the ServerProcess objects whose process has not been reaped yet:
// the orphan sweeps must leave them alone.
std::vector<pid_t>& running_servers() {
    static std::vector<pid_t> pids;
    return pids;
}

void unregister_server(pid_t pid) {
    auto& pids = running_servers();
    pids.erase(std::remove(pids.begin(), pids.end(), pid), pids.end());
}

bool is_running_server(pid_t pid) {
    const auto& pids = running_servers();
    return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

std::optional<long> to_number(std::string_view text) {
    long value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

int milliseconds_left(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

} // namespace

std::optional<ReadyLine> parse_ready_line(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    constexpr std::string_view prefix = "ready ";
    if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
    line.remove_prefix(prefix.size());
    // Exactly the four fields, in this order.
    const char* keys[] = {"model=", "listen=", "pid=", "workers="};
    std::string_view values[4];
    for (int i = 0; i < 4; ++i) {
        std::string_view key = keys[i];
        if (line.substr(0, key.size()) != key) return std::nullopt;
        line.remove_prefix(key.size());
        std::size_t end = line.find(' ');
        values[i] = line.substr(0, end);
        if (values[i].empty()) return std::nullopt;
        line = end == std::string_view::npos ? std::string_view{} : line.substr(end + 1);
        if (i < 3 && end == std::string_view::npos) return std::nullopt;
    }
    if (!line.empty()) return std::nullopt;

    ReadyLine ready;
    ready.model = std::string(values[0]);
    std::size_t colon = values[1].rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    ready.host = std::string(values[1].substr(0, colon));
    auto port = to_number(values[1].substr(colon + 1));
    auto pid = to_number(values[2]);
    auto workers = to_number(values[3]);
    if (!port || !pid || !workers || *port < 0 || *port > 65535) return std::nullopt;
    ready.port = static_cast<int>(*port);
    ready.pid = static_cast<pid_t>(*pid);
    ready.workers = static_cast<int>(*workers);
    return ready;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    // open/read rather than a stream: the process may go away between the
    // two, and libstdc++ throws when the read then fails (ESRCH).
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buffer[1024];
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) return std::nullopt;
    std::string text(buffer, static_cast<std::size_t>(n));
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses.
    std::size_t close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size()) return std::nullopt;
    std::istringstream rest(text.substr(close + 2));
    ProcStat stat;
    stat.pid = pid;
    long ppid = 0;
    if (!(rest >> stat.state >> ppid)) return std::nullopt;
    stat.ppid = static_cast<pid_t>(ppid);
    return stat;
}

bool is_alive(pid_t pid) {
    auto stat = read_proc_stat(pid);
    return stat && stat->state != 'Z' && stat->state != 'X';
}

std::vector<pid_t> children_of(pid_t parent, bool with_zombies) {
    std::vector<pid_t> children;
    DIR* dir = opendir("/proc");
    if (!dir) return children;
    while (dirent* entry = readdir(dir)) {
        auto pid = to_number(entry->d_name);
        if (!pid) continue;
        auto stat = read_proc_stat(static_cast<pid_t>(*pid));
        if (!stat || stat->ppid != parent) continue;
        if (!with_zombies && (stat->state == 'Z' || stat->state == 'X')) continue;
        children.push_back(stat->pid);
    }
    closedir(dir);
    std::sort(children.begin(), children.end());
    return children;
}

void reap_orphan_zombies() {
    for (pid_t pid : children_of(getpid(), true))
        if (!is_running_server(pid) && !is_alive(pid)) waitpid(pid, nullptr, WNOHANG);
}

std::vector<pid_t> kill_orphans() {
    std::vector<pid_t> killed;
    for (pid_t pid : children_of(getpid(), true)) {
        if (is_running_server(pid)) continue;
        if (is_alive(pid)) {
            killed.push_back(pid);
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        } else {
            waitpid(pid, nullptr, WNOHANG);
        }
    }
    return killed;
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
    return "ended with wait status " + std::to_string(status);
}

ServerProcess::ServerProcess(std::string binary, std::vector<std::string> args) {
    command_ = binary;
    for (const std::string& arg : args) command_ += " " + arg;

    // Everything the child needs is prepared before fork: between fork and
    // execv it only makes async-signal-safe calls.
    std::vector<char*> argv;
    argv.push_back(binary.data());
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/itest-stderr-XXXXXX";
    int err_fd = mkostemp(pattern.data(), O_CLOEXEC);
    if (err_fd < 0) fail("mkostemp " + pattern);
    stderr_path_ = pattern;
    int out_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) {
        close(err_fd);
        fail("pipe2");
    }
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) fail("open /dev/null");

    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        // Die with the test, whatever kills it (a ctest timeout included).
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        // Default dispositions and an empty mask, whatever gtest or the test
        // set up: the server must see SIGPIPE and SIGTERM as a shell gives them.
        struct sigaction default_action {};
        default_action.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig)
            if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &default_action, nullptr);
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, nullptr);
        if (dup2(null_fd, 0) < 0 || dup2(out_pipe[1], 1) < 0 || dup2(err_fd, 2) < 0) _exit(127);
        execv(argv[0], argv.data());
        const char message[] = "integration test: execv failed\n";
        ssize_t ignored = write(2, message, sizeof message - 1);
        (void)ignored;
        _exit(127);
    }
    pid_ = pid;
    running_servers().push_back(pid_);
    close(out_pipe[1]);
    close(err_fd);
    close(null_fd);
    stdout_fd_ = out_pipe[0];
    fcntl(stdout_fd_, F_SETFL, fcntl(stdout_fd_, F_GETFL) | O_NONBLOCK);
}

ServerProcess::~ServerProcess() {
    std::vector<pid_t> killed = stop();
    if (!killed.empty()) {
        std::cerr << "integration test: killed " << killed.size() << " process(es) left behind by " << command_
                  << "\n";
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
    if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

void ServerProcess::drain_stdout(milliseconds wait) {
    if (stdout_fd_ < 0 || stdout_eof_) {
        if (wait.count() > 0) std::this_thread::sleep_for(wait);
        return;
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(wait.count())) <= 0) return;
    char buffer[4096];
    for (;;) {
        ssize_t n = read(stdout_fd_, buffer, sizeof buffer);
        if (n > 0) {
            stdout_.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) stdout_eof_ = true;
        if (n < 0 && errno == EINTR) continue;
        return;
    }
}

bool ServerProcess::reap_nonblocking() {
    if (status_) return true;
    int status = 0;
    pid_t result = waitpid(pid_, &status, WNOHANG);
    if (result == pid_) {
        status_ = status;
        unregister_server(pid_);
        return true;
    }
    if (result < 0 && errno == ECHILD) { // reaped elsewhere: should not happen
        status_ = -1;
        unregister_server(pid_);
        return true;
    }
    return false;
}

bool ServerProcess::running() { return !reap_nonblocking(); }

void ServerProcess::signal(int sig) const {
    if (!status_ && pid_ > 0) kill(pid_, sig);
}

std::optional<int> ServerProcess::wait_exit(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (reap_nonblocking()) {
            drain_stdout(milliseconds(0));
            return status_;
        }
        if (Clock::now() >= deadline) return std::nullopt;
        drain_stdout(std::min(milliseconds(10), milliseconds(milliseconds_left(deadline) + 1)));
    }
}

bool ServerProcess::wait_ready(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        std::size_t newline = stdout_.find('\n', stdout_consumed_);
        if (newline != std::string::npos) {
            std::string line = stdout_.substr(stdout_consumed_, newline - stdout_consumed_);
            stdout_consumed_ = newline + 1;
            auto ready = parse_ready_line(line);
            if (!ready) {
                error_ = "the first line on stdout is not a ready line: '" + line + "'";
                return false;
            }
            ready_ = *ready;
            return true;
        }
        if (stdout_eof_) {
            error_ = "stdout closed before the ready line";
            return false;
        }
        if (!running()) {
            drain_stdout(milliseconds(0));
            if (stdout_.find('\n', stdout_consumed_) != std::string::npos) continue;
            error_ = "the server " + describe_wait_status(*status_) + " before the ready line";
            return false;
        }
        if (Clock::now() >= deadline) {
            error_ = "no ready line within " + std::to_string(timeout.count()) + " ms";
            return false;
        }
        drain_stdout(std::min(milliseconds(20), milliseconds(milliseconds_left(deadline) + 1)));
    }
}

std::string ServerProcess::stdout_text() {
    drain_stdout(milliseconds(0));
    return stdout_;
}

std::string ServerProcess::stderr_text() const {
    std::ifstream file(stderr_path_);
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

std::string ServerProcess::describe() {
    std::string text = "command: " + command_ + "\n";
    text += "state: " + (running() ? std::string("running") : describe_wait_status(*status_)) + "\n";
    if (!error_.empty()) text += "error: " + error_ + "\n";
    text += "stdout: " + stdout_text() + "\n";
    text += "stderr: " + stderr_text();
    return text;
}

std::vector<pid_t> ServerProcess::stop(milliseconds grace) {
    if (pid_ <= 0) return {};
    if (running()) {
        known_children_ = children();
        kill(pid_, SIGTERM);
        if (!wait_exit(grace)) {
            std::cerr << "integration test: " << command_ << " ignored SIGTERM for " << grace.count()
                      << " ms; sending SIGKILL\n";
            kill(pid_, SIGKILL);
            if (!wait_exit(milliseconds(5000))) {
                int status = 0;
                if (waitpid(pid_, &status, 0) == pid_) status_ = status;
                unregister_server(pid_);
            }
        }
    }
    // Children that outlived their master are re-parented to the test (a
    // child subreaper). Give them the time a dying master's children need to
    // notice, then kill what is left.
    const auto deadline = Clock::now() + milliseconds(2000);
    for (;;) {
        reap_orphan_zombies();
        bool orphans = false;
        for (pid_t pid : live_children_of(getpid()))
            if (!is_running_server(pid)) orphans = true;
        if (!orphans || Clock::now() >= deadline) break;
        std::this_thread::sleep_for(milliseconds(20));
    }
    std::vector<pid_t> killed = kill_orphans();
    // Without the subreaper, orphans go to init: kill the known ones there too.
    for (pid_t child : known_children_) {
        auto stat = read_proc_stat(child);
        if (stat && stat->ppid == 1 && is_alive(child)) {
            kill(child, SIGKILL);
            killed.push_back(child);
        }
    }
    known_children_.clear();
    return killed;
}

int RunResult::exit_code() const { return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1; }

RunResult run_to_exit(const std::string& binary, const std::vector<std::string>& args, milliseconds timeout) {
    ServerProcess process(binary, args);
    RunResult result;
    result.status = process.wait_exit(timeout);
    result.out = process.stdout_text();
    result.err = process.stderr_text();
    result.printed_ready = result.out.find("ready ") != std::string::npos;
    process.stop(milliseconds(1000));
    return result;
}

} // namespace itest
