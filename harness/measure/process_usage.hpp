#pragma once
// CPU, memory and scheduling of a process tree (a server's master and its
// workers, or wrk), read from /proc; tree_sampler.hpp samples it over a run.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>


namespace pb::harness {

// CPU, memory and scheduling of a set of processes over the measured window,
// from /proc (process_usage.cpp).
struct ProcessUsage {
    double user_s = 0, system_s = 0;     // CPU time inside the window, from stat's tick counts
    // The same CPU time from schedstat, in nanoseconds of the scheduler's own
    // accounting: exact where the tick counts are not (a process that runs
    // 20 us at a time is charged a whole tick, or none). 0: unavailable.
    double runtime_s = 0;
    double peak_rss_mib = 0;             // largest sum of VmRSS seen over the processes
    std::uint64_t voluntary_switches = 0, involuntary_switches = 0; // all threads, inside the window
    int processes = 0, threads = 0;      // most seen at once

    double cpu_s() const { return runtime_s > 0 ? runtime_s : user_s + system_s; }
};

// Cumulative counters of one thread, as /proc shows them.
struct ThreadTimes {
    std::uint64_t user_ticks = 0, system_ticks = 0; // clock ticks (sysconf(_SC_CLK_TCK))
    std::uint64_t voluntary = 0, involuntary = 0;   // context switches
    std::uint64_t runtime_ns = 0;                   // on-CPU time from schedstat (0 if unavailable)
};

struct TreeSnapshot {
    std::map<pid_t, ThreadTimes> threads; // by thread id, over every process of the tree
    double rss_mib = 0;                   // sum of VmRSS over the processes
    int processes = 0;
    int threads_count = 0;
};

// root and all its descendants, root first, found through
// /proc/PID/task/TID/children (only the tree is read, not all of /proc; a
// full scan of the ppids where the kernel lacks those files). Empty when
// root is gone; a process that vanishes while reading is skipped.
std::vector<pid_t> process_tree(pid_t root);

// The living ones of `roots` and all their descendants, each once, in the
// order found.
std::vector<pid_t> process_forest(const std::vector<pid_t>& roots);

// Every thread of every process given. Processes and threads that vanish
// while reading are left out.
TreeSnapshot snapshot_of(const std::vector<pid_t>& processes);
inline TreeSnapshot snapshot_tree(pid_t root) { return snapshot_of(process_tree(root)); }

// Turns a series of snapshots into the usage over the window they span. The
// first snapshot is the baseline: each thread counts what it gained since it
// was first seen (a thread born later counts from zero), and a thread that
// disappears keeps what it had at its last sample.
class UsageAccumulator {
public:
    void add(const TreeSnapshot& snapshot);
    ProcessUsage result() const;

private:
    struct Thread {
        ThreadTimes first, last;
        ThreadTimes earlier; // banked by an earlier thread with the same id
    };
    std::map<pid_t, Thread> threads_;
    bool have_baseline_ = false;
    double peak_rss_mib_ = 0;
    int processes_ = 0, threads_count_ = 0;
};

} // namespace pb::harness
