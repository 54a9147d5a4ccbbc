#pragma once
// The command line shared by every server. Model-specific flags are added by
// the model through `extend`; everything else is identical on all binaries.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/handler.hpp"
#include "common/pauser.hpp"
#include "common/socket.hpp"

namespace CLI {
class App;
}

namespace pb {

struct ServerOptions {
    Endpoint listen;
    int workers = 1;                 // parse_command_line defaults it to the online CPUs
    HandlerConfig handler;
    std::string stats_path;          // empty: no stats file
    int backlog = 4096;
    bool defer_accept = false;
    bool fastopen = false;
    std::chrono::nanoseconds idle_timeout{std::chrono::seconds(60)};
    std::chrono::nanoseconds header_timeout{std::chrono::seconds(10)};
    std::chrono::nanoseconds drain_timeout{std::chrono::seconds(5)};
    PauseSchedule pause;             // --pause P/T; not enabled: no pauser

    ListenerOptions listener_options() const;
};

using ExtraFlags = std::function<void(CLI::App&)>;

// A model's own flag that takes one of `choices` (default: `value` as given);
// a bad value is refused naming the flag, like every other flag.
ExtraFlags choice_flag(std::string name, std::string& value, std::string help, std::vector<std::string> choices);

// Parses argv. On --help or --version it prints and exits 0; on an unknown
// flag or a bad value it prints one line naming the flag and exits 2.
ServerOptions parse_command_line(int argc, char** argv, std::string_view model,
                                 std::string_view description, const ExtraFlags& extend = {});

// The line the harness and tests wait for, printed once every worker listens:
// "ready model=<name> listen=<host:port> pid=<pid> workers=<n>".
void announce_ready(std::string_view model, const Endpoint& listen, int workers);

} // namespace pb
