#include "launch/affinity.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/cpus.hpp"
#include "common/system_error.hpp"

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

std::vector<int> pin_harness(const Pinning& pinning, const std::vector<int>& allowed) {
    if (pinning.wrk_cpus.empty()) return allowed;
    if (const int error = pb::CpuMask(pinning.wrk_cpus).apply_to_current_process(); error != 0)
        throw_system_error("sched_setaffinity", fmt::format("the harness to CPUs {}", fmt::join(pinning.wrk_cpus, ",")), error);
    return pinning.wrk_cpus;
}

} // namespace pb::harness
