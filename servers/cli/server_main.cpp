#include "cli/server_main.hpp"

#include <csignal>
#include <exception>
#include <fmt/format.h>

namespace pb {

int server_main(int argc, char** argv, std::string_view model, std::string_view description, const ExtraFlags& extend,
                const Serve& serve) {
    const ServerOptions options = parse_command_line(argc, argv, model, description, extend);
    try {
        std::signal(SIGPIPE, SIG_IGN);
        return serve(options);
    } catch (const std::exception& error) {
        fmt::print(stderr, "{}: {}\n", model, error.what());
        return 1;
    }
}

} // namespace pb
