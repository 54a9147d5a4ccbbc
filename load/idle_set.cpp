#include "load/idle_set.hpp"

namespace pb::load {

std::size_t uniform_below(std::mt19937_64& engine, std::size_t n) {
    const std::uint64_t bound = n;
    // 2^64 mod n, in 64-bit arithmetic: (2^64 - n) mod n.
    const std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        const std::uint64_t x = engine();
        if (x >= threshold) return static_cast<std::size_t>(x % bound);
    }
}

} // namespace pb::load
