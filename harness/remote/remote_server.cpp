#include "remote/remote_server.hpp"

#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>

#include "common/ready_line.hpp"
#include "launch/server_launcher.hpp"
#include "measure/stats_csv.hpp"

namespace pb::harness {
namespace {

using std::chrono::milliseconds;

// "pb-remote: pid 123 started_ns 456": 123; 0 when the line is not that.
pid_t pid_of(const std::string& line) {
    constexpr std::string_view prefix = "pb-remote: pid ";
    if (line.rfind(prefix, 0) != 0) return 0;
    pid_t pid = 0;
    std::from_chars(line.data() + prefix.size(), line.data() + line.size(), pid);
    return pid;
}

void write_file(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

} // namespace

RemoteServer::RemoteServer(RemoteServerLaunch launch) : launch_(std::move(launch)) {
    command_ = launch_.argv;
    command_.insert(command_.end(), {"--listen", "0.0.0.0:0", "--stats", launch_.remote_stats.string()});
    std::vector<std::string> remote = {launch_.host->pb_remote().string(), "run", "--env", launch_.marker, "--grace-ms", "10000", "--"};
    remote.insert(remote.end(), command_.begin(), command_.end());
    ChildSpec spec = launch_.host->session->channel(remote);
    spec.stderr_file = launch_.stderr_file;
    channel_ = std::make_unique<ChildProcess>(spec);
    const auto fail = [this](const std::string& why) {
        channel_->kill_group();
        throw std::runtime_error(fmt::format("{}: {}; stderr: {}", where(), why, tail_of_file(launch_.stderr_file)));
    };
    const std::optional<std::string> started = channel_->read_line(launch_.ready_timeout);
    if (!started || (pid_ = pid_of(*started)) <= 0) fail("pb-remote did not start it");
    const std::optional<std::string> ready_text = channel_->read_line(launch_.ready_timeout);
    const std::optional<ReadyLine> ready = ready_text ? parse_ready_line(*ready_text) : std::nullopt;
    if (!ready || ready->port <= 0) fail(ready_text ? "no ready line: " + *ready_text : "no ready line in time");
    port_ = static_cast<std::uint16_t>(ready->port);
}

std::string RemoteServer::where() const { return fmt::format("server on {}", launch_.host->name()); }

std::optional<std::vector<WorkerRow>> RemoteServer::counters_now(milliseconds timeout) {
    const RemoteOutput out = launch_.host->session->run({launch_.host->pb_remote().string(), "counters", "--pid",
                                                         std::to_string(pid_), "--stats", launch_.remote_stats.string(),
                                                         "--timeout-ms", std::to_string(timeout.count())},
                                                        timeout + std::chrono::seconds(20));
    if (out.exit_status != 0) throw std::runtime_error(fmt::format("{}: pb-remote counters: {}", where(), out.err));
    std::filesystem::path baseline = launch_.local_stats;
    baseline.replace_extension(".baseline.csv");
    write_file(baseline, out.out);
    return read_stats_csv(baseline);
}

bool RemoteServer::stop(milliseconds timeout) {
    if (stopped_) return killed_;
    stopped_ = true;
    channel_->close_stdin(); // pb-remote: SIGTERM, the group SIGKILLed after its grace
    const auto end_leftovers = [this] {
        return launch_.host->session->run(
            {launch_.host->pb_remote().string(), "leftovers", "--marker", launch_.marker, "--kill"});
    };
    if (!channel_->wait_for(timeout + std::chrono::seconds(15))) {
        channel_->kill_group();
        const RemoteOutput left = end_leftovers();
        throw std::runtime_error(fmt::format("{}: pb-remote did not end after the stop{}", where(),
                                             left.exit_status != 0 ? "; killed there: " + left.out : ""));
    }
    std::string exit_line;
    // To the end of its output (the pipe closed with the channel).
    while (const std::optional<std::string> line = channel_->read_line(milliseconds(5000)))
        if (line->rfind("pb-remote: exit ", 0) == 0) exit_line = line->substr(16);
    if (exit_line.empty())
        throw std::runtime_error(fmt::format("{}: the SSH channel ended without pb-remote's exit line (the host dropped "
                                             "out?); stderr: {}", where(), tail_of_file(launch_.stderr_file)));
    killed_ = exit_line.find("signal 9") != std::string::npos;
    const RemoteOutput stats = launch_.host->session->run({"cat", "--", launch_.remote_stats.string()});
    const RemoteOutput left = end_leftovers();
    if (!killed_ && stats.exit_status != 0)
        throw std::runtime_error(fmt::format("{}: its final stats {} could not be fetched: {}", where(),
                                             launch_.remote_stats.string(), stats.err));
    if (!killed_) write_file(launch_.local_stats, stats.out);
    if (left.exit_status != 0)
        throw std::runtime_error(fmt::format("{}: left processes behind (killed): {}", where(), left.out));
    if (!killed_ && exit_line != "exited with status 0")
        throw std::runtime_error(fmt::format("server {} on {}; stderr: {}", exit_line, launch_.host->name(),
                                             tail_of_file(launch_.stderr_file)));
    return killed_;
}

std::vector<WorkerRow> RemoteServer::final_counters() const {
    if (!std::filesystem::exists(launch_.local_stats)) return {};
    return read_stats_csv(launch_.local_stats);
}

} // namespace pb::harness
