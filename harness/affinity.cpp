#include "affinity.hpp"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "core/system_error.hpp"

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

std::vector<int> allowed_cpus() {
    // The kernel refuses a mask smaller than its own CPU count (EINVAL), so
    // grow until it fits: machines with more than 1024 CPUs exist.
    for (int capacity = 1024;; capacity *= 2) {
        cpu_set_t* set = CPU_ALLOC(capacity);
        if (set == nullptr) throw std::bad_alloc();
        const std::size_t size = CPU_ALLOC_SIZE(capacity);
        if (sched_getaffinity(0, size, set) != 0) {
            const int error = errno;
            CPU_FREE(set);
            if (error == EINVAL && capacity < (1 << 20)) continue;
            throw_system_error("sched_getaffinity", "pid 0", error);
        }
        std::vector<int> cpus;
        for (int cpu = 0; cpu < capacity; ++cpu)
            if (CPU_ISSET_S(cpu, size, set)) cpus.push_back(cpu);
        CPU_FREE(set);
        return cpus;
    }
}

std::string cpu_list(const std::vector<int>& cpus) {
    std::vector<int> sorted = cpus;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string text;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t last = i;
        while (last + 1 < sorted.size() && sorted[last + 1] == sorted[last] + 1) ++last;
        if (!text.empty()) text += ',';
        text += std::to_string(sorted[i]);
        if (last > i) text += '-' + std::to_string(sorted[last]);
        i = last + 1;
    }
    return text;
}

CpuMask::CpuMask(const std::vector<int>& cpus) {
    if (cpus.empty()) return;
    const int highest = *std::max_element(cpus.begin(), cpus.end());
    if (*std::min_element(cpus.begin(), cpus.end()) < 0)
        throw std::invalid_argument("CPU list " + cpu_list(cpus) + " has a negative CPU");
    cpu_set_t* set = CPU_ALLOC(highest + 1);
    if (set == nullptr) throw std::bad_alloc();
    size_ = CPU_ALLOC_SIZE(highest + 1);
    CPU_ZERO_S(size_, set);
    for (int cpu : cpus) CPU_SET_S(cpu, size_, set);
    set_ = set;
}

CpuMask::~CpuMask() {
    if (set_ != nullptr) CPU_FREE(static_cast<cpu_set_t*>(set_));
}

int CpuMask::apply_to_current_process() const noexcept {
    if (set_ == nullptr) return 0;
    return sched_setaffinity(0, size_, static_cast<const cpu_set_t*>(set_)) == 0 ? 0 : errno;
}

void pin_current_process(const std::vector<int>& cpus) {
    const CpuMask mask(cpus);
    if (int error = mask.apply_to_current_process(); error != 0)
        throw_system_error("sched_setaffinity", "pid 0, cpus " + cpu_list(cpus), error);
}

} // namespace pb::harness
