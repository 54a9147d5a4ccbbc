#include "launch/leftover_processes.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <fmt/format.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "common/socket.hpp"
#include "common/system_error.hpp"

namespace pb::harness {

bool port_in_use(std::uint16_t port) {
    pb::Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_system_error("socket", "port check");
    int on = 1;
    if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
        throw_system_error("setsockopt", "SO_REUSEADDR for the port check");
    sockaddr_in address = loopback_address(port);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return false;
    if (errno == EADDRINUSE) return true;
    throw_system_error("bind", fmt::format("127.0.0.1:{} (port check)", port));
}

void verify_nothing_left(pid_t group, std::string_view marker, std::uint16_t port, std::chrono::milliseconds grace) {
    const auto deadline = std::chrono::steady_clock::now() + grace;
    std::vector<MarkedProcess> left;
    bool port_held = false;
    for (;;) {
        left = processes_of_run(group, marker);
        port_held = port != 0 && port_in_use(port);
        if (left.empty() && !port_held) return;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (const MarkedProcess& p : left) ::kill(p.pid, SIGKILL);
    // SIGKILL takes effect asynchronously: confirm before saying so.
    std::vector<MarkedProcess> survivors = left;
    for (int i = 0; i < 100 && !survivors.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        survivors = processes_of_run(group, marker);
    }
    std::string what;
    if (!left.empty())
        what = fmt::format("{} process(es) of this run still running {} ms after the stop, killed now: {}{}", left.size(),
                           grace.count(), describe(left),
                           survivors.empty() ? "" : fmt::format(" (still alive 1 s after SIGKILL: {})", describe(survivors)));
    if (port_held) what += fmt::format("{}port {} still in use after the stop", what.empty() ? "" : "; ", port);
    throw std::runtime_error(what);
}

} // namespace pb::harness
