#pragma once
// The line a server prints on stdout once every worker listens, and the one
// wait for it that the harness and the integration tests share:
// "ready model=<name> listen=<host:port> pid=<pid> workers=<n>".
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "common/child_process.hpp"

namespace pb {

struct ReadyLine {
    std::string model;
    std::string host;
    int port = 0;
    pid_t pid = 0;
    int workers = 0;
};

std::string format_ready_line(std::string_view model, std::string_view listen, pid_t pid, int workers);

// Exactly the four fields in this order; nothing for anything else.
std::optional<ReadyLine> parse_ready_line(std::string_view line);

struct ReadyWait {
    std::optional<ReadyLine> ready;
    std::string error; // when not ready: "exited with status 1 before its ready line", ...
};

// The first line on the process's stdout pipe, as a ready line.
ReadyWait wait_for_ready(ChildProcess& process, std::chrono::milliseconds timeout);

} // namespace pb
