#include "cli/server_main.hpp"

#include <csignal>
#include <exception>
#include <fmt/format.h>

namespace pb {

int server_main(int argc, char** argv, std::string_view model, std::string_view description, const ExtraFlags& extend,
                const Serve& serve) {
    try {
        // Bad flags end here with exit 2 (parse_command_line); anything else
        // thrown, also while the flags are set up, is one line and exit 1.
        const ServerOptions options = parse_command_line(argc, argv, model, description, extend);
        std::signal(SIGPIPE, SIG_IGN);
        return serve(options);
    } catch (const std::exception& error) {
        fmt::print(stderr, "{}: {}\n", model, error.what());
        return 1;
    }
}

} // namespace pb
