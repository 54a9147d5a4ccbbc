#pragma once
// A wait status in words, the same everywhere a process's end is reported:
// "exited with status 1", "was killed by signal 9 (Killed)".
#include <string>

namespace pb {

std::string describe_wait_status(int status);

} // namespace pb
