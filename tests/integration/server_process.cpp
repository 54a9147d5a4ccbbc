#include "server_process.hpp"

#include <algorithm>
#include <cerrno>
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

#include "common/numbers.hpp"

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

} // namespace

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
        auto pid = pb::parse_number<long>(entry->d_name);
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

std::size_t open_sockets(pid_t pid) {
    const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
    DIR* dir = opendir(fds.c_str());
    if (!dir) return 0;
    std::size_t sockets = 0;
    while (dirent* entry = readdir(dir)) {
        char target[64];
        const std::string link = fds + "/" + entry->d_name;
        const ssize_t n = readlink(link.c_str(), target, sizeof target);
        if (n > 0 && std::string_view(target, static_cast<std::size_t>(n)).starts_with("socket:")) ++sockets;
    }
    closedir(dir);
    return sockets;
}

bool wait_until(const std::function<bool()>& done, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
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

namespace {

std::string join(const std::string& binary, const std::vector<std::string>& args) {
    std::string command = binary;
    for (const std::string& arg : args) command += " " + arg;
    return command;
}

std::string temporary_file(const std::string& stem) {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/" + stem + "-XXXXXX";
    const int fd = mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) fail("mkostemp " + pattern);
    close(fd);
    return pattern;
}

pb::ChildSpec server_spec(const std::string& binary, const std::vector<std::string>& args, const std::string& stderr_path) {
    pb::ChildSpec spec;
    spec.argv.push_back(binary);
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.stderr_file = stderr_path;
    spec.die_with_parent = true; // whatever kills the test (a ctest timeout included) kills the server
    return spec;
}

} // namespace

ServerProcess::ServerProcess(std::string binary, std::vector<std::string> args)
    : command_(join(binary, args)), stderr_path_(temporary_file("itest-stderr")),
      process_(server_spec(binary, args, stderr_path_)) {
    running_servers().push_back(process_.pid());
}

ServerProcess::~ServerProcess() {
    std::vector<pid_t> killed = stop();
    if (!killed.empty()) {
        std::cerr << "integration test: killed " << killed.size() << " process(es) left behind by " << command_
                  << "\n";
    }
    unlink(stderr_path_.c_str());
}

bool ServerProcess::running() {
    if (!process_.exited()) return true;
    unregister_server(process_.pid());
    return false;
}

std::optional<int> ServerProcess::wait_exit(milliseconds timeout) {
    if (!process_.wait_for(timeout)) return std::nullopt;
    unregister_server(process_.pid());
    return process_.wait_status();
}

bool ServerProcess::wait_ready(milliseconds timeout) {
    const pb::ReadyWait wait = pb::wait_for_ready(process_, timeout);
    if (!wait.ready) {
        error_ = "the server " + wait.error;
        return false;
    }
    ready_ = *wait.ready;
    return true;
}

std::string ServerProcess::stderr_text() const {
    std::ifstream file(stderr_path_);
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

std::string ServerProcess::describe() {
    std::string text = "command: " + command_ + "\n";
    text += "state: " + (running() ? std::string("running") : describe_wait_status(*process_.wait_status())) + "\n";
    if (!error_.empty()) text += "error: " + error_ + "\n";
    text += "stdout: " + stdout_text() + "\n";
    text += "stderr: " + stderr_text();
    return text;
}

std::vector<pid_t> ServerProcess::stop(milliseconds grace) {
    if (running()) {
        known_children_ = children();
        process_.signal(SIGTERM);
        if (!wait_exit(grace)) {
            std::cerr << "integration test: " << command_ << " ignored SIGTERM for " << grace.count()
                      << " ms; sending SIGKILL\n";
            process_.kill_group();
            unregister_server(process_.pid());
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
