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

// Puts the harness itself (the calling thread and every thread it starts
// later) on wrk's CPUs, never the server's: its samplers and wait loops
// must not land in the server's CPU time. Returns the CPUs it now runs on:
// wrk's when pinned, else `allowed` unchanged. Call before any thread is
// started. Throws naming sched_setaffinity.
std::vector<int> pin_harness(const Pinning& pinning, const std::vector<int>& allowed);

} // namespace pb::harness
