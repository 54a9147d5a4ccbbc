#pragma once
// After a run the harness proves it left nothing behind: no process of the
// run (a member of the server's process group, or one carrying the run's
// marker in its environment, which survives a setsid) and no socket on its
// port. Peers make this necessary: fasthttp's prefork master exits on
// SIGTERM and leaves its children serving.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "guard/marked_processes.hpp"

namespace pb::harness {

// True while a socket other than TIME_WAIT holds 127.0.0.1:port (a bind with
// SO_REUSEADDR fails).
bool port_in_use(std::uint16_t port);

// Waits up to `grace` for both to clear. If they do not, SIGKILLs the
// processes left and throws std::runtime_error naming them and the port.
void verify_nothing_left(pid_t group, std::string_view marker, std::uint16_t port, std::chrono::milliseconds grace);

} // namespace pb::harness
