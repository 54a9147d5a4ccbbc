#pragma once
// Finding a program the way a shell does, for processes started by execve
// (which does not search PATH).
#include <optional>
#include <string>
#include <string_view>

namespace pb {

// The first executable regular file called `name` in the directories of
// $PATH (an empty entry is the current directory).
std::optional<std::string> find_on_path(std::string_view name);

// `program` itself when it holds a '/', else find_on_path(program).
std::optional<std::string> resolve_program(std::string_view program);

} // namespace pb
