#pragma once
// Reading a whole small file (a /proc entry, a definition, a template) into
// memory, the one way the harness does it.
#include <filesystem>
#include <optional>
#include <string>

namespace pb::harness {

// The file's bytes, or nothing when it cannot be opened or read; errno then
// says why. A process that vanishes makes its /proc files unreadable: for
// such facts, nothing is an answer, not an error.
std::optional<std::string> read_whole_file(const std::filesystem::path& file);

} // namespace pb::harness
