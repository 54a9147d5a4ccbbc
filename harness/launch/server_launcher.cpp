#include "launch/server_launcher.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <deque>
#include <fmt/format.h>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "common/ready_line.hpp"
#include "common/system_error.hpp"
#include "common/wait_status.hpp"
#include "launch/leftover_processes.hpp"
#include "measure/stats_csv.hpp"

namespace pb::harness {
namespace {

using std::chrono::milliseconds;

std::vector<std::string> full_command(const ServerLaunch& launch) {
    std::vector<std::string> command = launch.argv;
    command.insert(command.end(), {"--listen", launch.listen + ":0", "--stats", launch.stats_file.string()});
    return command;
}

ChildSpec server_spec(const ServerLaunch& launch) {
    ChildSpec spec;
    spec.argv = full_command(launch);
    spec.die_with_parent = true; // and the forking servers' workers die with it
    spec.cpus = launch.cpus;
    spec.stderr_file = launch.stderr_file;
    if (auto equals = launch.run_marker.find('='); equals != std::string::npos)
        spec.env.emplace_back(launch.run_marker.substr(0, equals), launch.run_marker.substr(equals + 1));
    return spec;
}

} // namespace

std::string tail_of_file(const std::filesystem::path& file, std::size_t max_lines) {
    std::ifstream in(file);
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
        if (lines.size() > max_lines) lines.pop_front();
    }
    std::string text;
    for (const std::string& line : lines) text += (text.empty() ? "" : " | ") + line;
    return text.empty() ? "(no output on stderr)" : text;
}

RunningServer::RunningServer(const ServerLaunch& launch)
    : launch_(launch), command_(full_command(launch)), process_(server_spec(launch)) {
    const ReadyWait wait = wait_for_ready(process_, launch.ready_timeout);
    if (wait.ready && wait.ready->port > 0) port_ = static_cast<std::uint16_t>(wait.ready->port);
    if (port_ == 0) {
        process_.kill_group();
        const std::string why = wait.ready ? std::string("reported port 0 in its ready line") : wait.error;
        throw std::runtime_error(fmt::format("server {}; stderr: {}", why, tail_of_file(launch.stderr_file)));
    }
}

std::optional<std::vector<WorkerRow>> RunningServer::counters_now(milliseconds timeout) {
    std::error_code ignored;
    std::filesystem::remove(launch_.stats_file, ignored);
    process_.signal(SIGUSR1);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // The server renames a complete file into place: its presence means it is whole.
    while (!std::filesystem::exists(launch_.stats_file)) {
        if (std::chrono::steady_clock::now() >= deadline)
            throw std::runtime_error(fmt::format("the server wrote no stats within {} ms of SIGUSR1", timeout.count()));
        std::this_thread::sleep_for(milliseconds(10));
    }
    std::vector<WorkerRow> rows = read_stats_csv(launch_.stats_file);
    // Kept beside the final stats: the run's per-worker figures are the difference.
    std::filesystem::path baseline = launch_.stats_file;
    baseline.replace_extension(".baseline.csv");
    std::filesystem::rename(launch_.stats_file, baseline);
    return rows;
}

bool RunningServer::stop(milliseconds timeout) {
    // Once only: after the first stop the group's ID is free for reuse.
    if (stopped_) return killed_;
    stopped_ = true;
    process_.signal(SIGTERM);
    bool& killed = killed_;
    if (!process_.wait_for(timeout)) {
        process_.kill_group();
        killed = true;
    }
    // The forking servers' children die with the master (PR_SET_PDEATHSIG);
    // this catches anything else that stayed in the group, and only while
    // the group still has a member (an empty group's ID could be reused).
    if (::kill(-process_.pid(), 0) == 0) ::kill(-process_.pid(), SIGKILL);
    std::string left;
    try {
        verify_nothing_left(process_.pid(), launch_.run_marker, port_, milliseconds(2000));
        watched_.release(); // the group is empty: its ID may be reused now
    } catch (const std::exception& error) {
        left = error.what();
    }
    if (!killed && process_.wait_status() && *process_.wait_status() != 0)
        throw std::runtime_error(fmt::format("server {}; stderr: {}{}", describe_wait_status(*process_.wait_status()),
                                             tail_of_file(launch_.stderr_file), left.empty() ? "" : "; " + left));
    if (!left.empty()) throw std::runtime_error(left);
    return killed;
}

std::vector<WorkerRow> RunningServer::final_counters() const { return read_stats_csv(launch_.stats_file); }

} // namespace pb::harness
