#include "server_launcher.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <deque>
#include <fmt/format.h>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "core/system_error.hpp"
#include "stats_csv.hpp"

namespace pb::harness {
namespace {

using std::chrono::milliseconds;

std::vector<std::string> full_command(const ServerLaunch& launch) {
    std::vector<std::string> command = launch.argv;
    command.insert(command.end(), {"--listen", "127.0.0.1:0", "--stats", launch.stats_file.string()});
    return command;
}

ChildSpec server_spec(const ServerLaunch& launch) {
    ChildSpec spec;
    spec.argv = full_command(launch);
    spec.cpus = launch.cpus;
    spec.stderr_file = launch.stderr_file;
    return spec;
}

// "ready model=... listen=127.0.0.1:PORT pid=... workers=..." → PORT.
std::uint16_t port_of_ready_line(const std::string& line) {
    auto at = line.find(" listen=");
    if (line.rfind("ready ", 0) != 0 || at == std::string::npos) return 0;
    auto end = line.find(' ', at + 8);
    std::string listen = line.substr(at + 8, end - at - 8);
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) return 0;
    int port = std::atoi(listen.c_str() + colon + 1);
    return port > 0 && port < 65536 ? static_cast<std::uint16_t>(port) : 0;
}

pb::Fd connect_loopback(std::uint16_t port) {
    pb::Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_system_error("socket", "health check");
    timeval timeout{2, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw_system_error("connect", fmt::format("127.0.0.1:{}", port));
    return fd;
}

bool has_header(const std::string& head, std::string_view name) {
    std::string lower_head = head, lower_name(name);
    for (char& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : lower_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower_head.find("\r\n" + lower_name + ":") != std::string::npos;
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
    std::optional<std::string> line = process_.read_line(launch.ready_timeout);
    if (line) port_ = port_of_ready_line(*line);
    if (port_ == 0) {
        bool ended = process_.wait_for(milliseconds(0));
        std::string why = !line ? (ended ? "exited before its ready line"
                                         : fmt::format("printed no ready line within {} ms", launch.ready_timeout.count()))
                                : fmt::format("printed \"{}\" instead of a ready line", *line);
        process_.kill_group();
        throw std::runtime_error(fmt::format("server {}; stderr: {}", why, tail_of_file(launch.stderr_file)));
    }
}

void RunningServer::health_check(const std::vector<std::string>& headers) const {
    pb::Fd fd = connect_loopback(port_);
    std::string request = "GET / HTTP/1.1\r\n";
    for (const std::string& header : headers) request += header + "\r\n";
    request += "\r\n";
    if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
        throw_system_error("send", "health check request");
    std::string response;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    std::size_t body_size = 0;
    while (head_end == std::string::npos || response.size() < head_end + 4 + body_size) {
        ssize_t n = recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0) throw std::runtime_error("health check: the connection ended before a whole response");
        response.append(buffer, static_cast<std::size_t>(n));
        if (head_end == std::string::npos && (head_end = response.find("\r\n\r\n")) != std::string::npos) {
            auto at = response.find("Content-Length:");
            if (at != std::string::npos && at < head_end) body_size = std::stoul(response.substr(at + 15));
        }
    }
    std::string head = response.substr(0, head_end + 2);
    if (head.rfind("HTTP/1.1 200 ", 0) != 0)
        throw std::runtime_error("health check: expected HTTP/1.1 200, got \"" + head.substr(0, head.find('\r')) + "\"");
    for (std::string_view name : {"Server", "Date", "Content-Type", "Content-Length"})
        if (!has_header(head, name)) throw std::runtime_error(fmt::format("health check: no {} header", name));
}

std::vector<WorkerRow> RunningServer::counters_now(milliseconds timeout) {
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
    process_.signal(SIGTERM);
    bool killed = false;
    if (!process_.wait_for(timeout)) {
        process_.kill_group();
        killed = true;
    }
    // The forking servers' children die with the master (PR_SET_PDEATHSIG);
    // this catches anything else that stayed in the group, and only while
    // the group still has a member (an empty group's ID could be reused).
    if (::kill(-process_.pid(), 0) == 0) ::kill(-process_.pid(), SIGKILL);
    if (!killed && process_.wait_status() && *process_.wait_status() != 0)
        throw std::runtime_error(fmt::format("server {}; stderr: {}", describe_wait_status(*process_.wait_status()),
                                             tail_of_file(launch_.stderr_file)));
    return killed;
}

std::vector<WorkerRow> RunningServer::final_counters() const { return read_stats_csv(launch_.stats_file); }

} // namespace pb::harness
