#pragma once
// Which CPUs the server and wrk may run on. Pinning them apart keeps wrk from
// stealing the server's CPU time (and the other way round) on a small machine.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pb::harness {

enum class PinMode { split, none };

// "split" or "none"; empty for anything else.
std::optional<PinMode> parse_pin_mode(std::string_view text);

struct Pinning {
    std::vector<int> server_cpus, wrk_cpus; // both empty = not pinned
    std::string describe() const;           // "server=0 wrk=1" or "none"
};

// split: the first half of the allowed CPUs (rounded up) to the server, the
// rest to wrk. With fewer than 2 CPUs there is nothing to split: none.
Pinning plan_pinning(PinMode mode, const std::vector<int>& allowed);

} // namespace pb::harness
