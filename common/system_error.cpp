#include "common/system_error.hpp"

#include <string>
#include <system_error>

namespace pb {

void throw_system_error(std::string_view call, std::string_view argument, int error) {
    std::string what;
    what.append(call).append("(").append(argument).append(")");
    throw std::system_error(error, std::generic_category(), what);
}

} // namespace pb
