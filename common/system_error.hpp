#pragma once
// One way to report a failed system call: the message names the call, the
// argument it was given and strerror, e.g. "bind(127.0.0.1:8080): Address already in use".
#include <cerrno>
#include <string_view>

namespace pb {

[[noreturn]] void throw_system_error(std::string_view call, std::string_view argument, int error = errno);

} // namespace pb
