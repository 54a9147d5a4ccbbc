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

// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> allowed_cpus();

// "0-1,3": ascending ranges, duplicates dropped; "" for no CPUs.
std::string cpu_list(const std::vector<int>& cpus);

// A CPU set built ahead of fork(), so that applying it in the child is a bare
// system call: between fork and exec a multithreaded parent's child may only
// make async-signal-safe calls, and allocating or throwing is not one.
class CpuMask {
public:
    explicit CpuMask(const std::vector<int>& cpus); // throws for a negative CPU
    CpuMask(const CpuMask&) = delete;
    CpuMask& operator=(const CpuMask&) = delete;
    ~CpuMask();

    bool empty() const { return set_ == nullptr; }
    // sched_setaffinity(0, ...) on the calling thread; 0 or the errno.
    // Nothing to do when empty.
    int apply_to_current_process() const noexcept;

private:
    void* set_ = nullptr; // cpu_set_t from CPU_ALLOC; void keeps <sched.h> out
    std::size_t size_ = 0;
};

// Pins the calling thread, and so whatever it forks or execs later: meant for
// a freshly forked child, where that thread is the whole process. Throws
// naming sched_setaffinity and the CPU list. An empty list does nothing.
void pin_current_process(const std::vector<int>& cpus);

} // namespace pb::harness
