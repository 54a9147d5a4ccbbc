#pragma once
// Durations and sizes as people type them on a command line ("250us", "100ms",
// "1.5s", "8k"), parsed once here and printed back the same way.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pb {

using std::chrono::nanoseconds;

// Units: ns, us, ms, s, m, h. A bare number means seconds (as in wrk's -d 15).
// Fractions are allowed ("1.5s"); negative values and junk are rejected.
std::optional<nanoseconds> parse_duration(std::string_view text);

// The largest whole unit that represents the value exactly: "100ms", "250us", "0".
std::string format_duration(nanoseconds value);

// Suffixes k, M, G are powers of 1024.
std::optional<std::uint64_t> parse_size(std::string_view text);

} // namespace pb
