#include "launch/affinity.hpp"

#include "common/cpus.hpp"

namespace pb::harness {

std::optional<PinMode> parse_pin_mode(std::string_view text) {
    if (text == "split") return PinMode::split;
    if (text == "none") return PinMode::none;
    return std::nullopt;
}

std::string Pinning::describe() const {
    if (server_cpus.empty() && wrk_cpus.empty()) return "none";
    return "server=" + cpu_list(server_cpus) + " wrk=" + cpu_list(wrk_cpus);
}

Pinning plan_pinning(PinMode mode, const std::vector<int>& allowed) {
    if (mode == PinMode::none || allowed.size() < 2) return {};
    const auto server_count = static_cast<std::ptrdiff_t>((allowed.size() + 1) / 2);
    Pinning pinning;
    pinning.server_cpus.assign(allowed.begin(), allowed.begin() + server_count);
    pinning.wrk_cpus.assign(allowed.begin() + server_count, allowed.end());
    return pinning;
}

} // namespace pb::harness
