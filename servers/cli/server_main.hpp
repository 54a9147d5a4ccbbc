#pragma once
// What every server's main() does around its model: parse the shared flags
// (and the model's own), ignore SIGPIPE (a closed peer must not kill a
// worker), run, and turn an exception into one line on stderr and exit 1.
#include <functional>
#include <string_view>

#include "cli/command_line.hpp"

namespace pb {

using Serve = std::function<int(const ServerOptions& options)>;

int server_main(int argc, char** argv, std::string_view model, std::string_view description, const ExtraFlags& extend,
                const Serve& serve);

} // namespace pb
