#pragma once
// A results directory of its own for every harness run: two runs started in
// the same second must not write into one directory.
#include <filesystem>
#include <string>

namespace pb::harness {

// Creates parent (and its parents) and then, atomically, parent/name, or
// parent/name-2, -3, ... if that exists; returns the one it created. Throws
// naming mkdir and the path.
std::filesystem::path create_results_dir(const std::filesystem::path& parent, const std::string& name);

} // namespace pb::harness
