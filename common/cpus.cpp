#include "common/cpus.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <stdexcept>
#include <utility>

#include "common/system_error.hpp"

namespace pb {

int online_cpus() {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
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
    if (*std::min_element(cpus.begin(), cpus.end()) < 0)
        throw std::invalid_argument("CPU list " + cpu_list(cpus) + " has a negative CPU");
    const int highest = *std::max_element(cpus.begin(), cpus.end());
    cpu_set_t* set = CPU_ALLOC(highest + 1);
    if (set == nullptr) throw std::bad_alloc();
    size_ = CPU_ALLOC_SIZE(highest + 1);
    CPU_ZERO_S(size_, set);
    for (int cpu : cpus) CPU_SET_S(cpu, size_, set);
    set_ = set;
}

CpuMask::CpuMask(CpuMask&& other) noexcept
    : set_(std::exchange(other.set_, nullptr)), size_(std::exchange(other.size_, 0)) {}

CpuMask& CpuMask::operator=(CpuMask&& other) noexcept {
    if (this != &other) {
        if (set_ != nullptr) CPU_FREE(static_cast<cpu_set_t*>(set_));
        set_ = std::exchange(other.set_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

CpuMask::~CpuMask() {
    if (set_ != nullptr) CPU_FREE(static_cast<cpu_set_t*>(set_));
}

int CpuMask::apply_to_current_process() const noexcept {
    if (set_ == nullptr) return 0;
    return sched_setaffinity(0, size_, static_cast<const cpu_set_t*>(set_)) == 0 ? 0 : errno;
}

} // namespace pb
