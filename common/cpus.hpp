#pragma once
// The machine's CPUs: how many are online, which this process may use, and
// a CPU set built ahead of fork for pinning a child.
#include <cstddef>
#include <string>
#include <vector>

namespace pb {

// The CPUs online (at least 1). The servers' default --workers, and the
// number the harness gives peers, so that both sides run as many workers.
int online_cpus();

// The CPUs this process may run on (sched_getaffinity), ascending. Throws
// naming the call.
std::vector<int> allowed_cpus();

// "0-1,3": ascending ranges, duplicates dropped; "" for no CPUs.
std::string cpu_list(const std::vector<int>& cpus);

// A CPU set of any size (CPU_ALLOC, so CPUs past 1023 work) built ahead of
// fork(), so that applying it in the child is a bare system call: between
// fork and exec a multithreaded parent's child may only make
// async-signal-safe calls, and allocating or throwing is not one.
class CpuMask {
public:
    CpuMask() = default;                            // empty: no pinning
    explicit CpuMask(const std::vector<int>& cpus); // throws for a negative CPU
    CpuMask(CpuMask&& other) noexcept;
    CpuMask& operator=(CpuMask&& other) noexcept;
    CpuMask(const CpuMask&) = delete;
    CpuMask& operator=(const CpuMask&) = delete;
    ~CpuMask();

    bool empty() const { return set_ == nullptr; }
    // sched_setaffinity(0, ...) on the calling thread; 0 or the errno.
    // Nothing to do when empty. Async-signal-safe.
    int apply_to_current_process() const noexcept;

private:
    void* set_ = nullptr; // cpu_set_t from CPU_ALLOC; void keeps <sched.h> out
    std::size_t size_ = 0;
};

} // namespace pb
