#pragma once
// Whole small files: reading one (a /proc entry, a definition, a template)
// and writing one so that no reader ever sees it half written.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace pb {

// The file's bytes, or nothing when it cannot be opened or read; errno then
// says why. A process that vanishes makes its /proc files unreadable: for
// such facts, nothing is an answer, not an error.
std::optional<std::string> read_whole_file(const std::filesystem::path& file);

// Writes `<file>.tmp` and renames it onto `file`. Throws naming the call,
// the file and strerror; the temporary file is removed on failure.
void write_file_atomically(const std::filesystem::path& file, std::string_view content);

} // namespace pb
