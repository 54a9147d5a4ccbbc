#pragma once
// CPU, memory and scheduling of a process tree (a server's master and its
// workers, or wrk), sampled from /proc while a run is measured.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
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

// root and all its descendants, root first (found through the ppid in
// /proc/*/stat). Empty when root is gone; a process that vanishes while
// scanning is skipped.
std::vector<pid_t> process_tree(pid_t root);

// Every thread of every process of the tree. Processes and threads that
// vanish while reading are left out.
TreeSnapshot snapshot_tree(pid_t root);

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

// Samples a process tree on its own thread: one snapshot when started, one
// every interval, one more when stopped. on_tick runs on that thread after
// each snapshot (the runner samples the listen queue there too). Nothing
// thrown while sampling escapes the thread: the first message is kept in
// error().
class TreeSampler {
public:
    TreeSampler(pid_t root, std::chrono::milliseconds interval, std::function<void()> on_tick = {});
    TreeSampler(const TreeSampler&) = delete;
    TreeSampler& operator=(const TreeSampler&) = delete;
    ~TreeSampler();

    // Returns once the baseline snapshot is taken, so the window starts here.
    void start();
    // Takes the last snapshot, joins the thread and returns the usage over
    // the window. Calling it again returns the same result.
    ProcessUsage stop();
    // The first error met while sampling; empty when there was none.
    std::string error() const;

private:
    void run();
    void tick();

    pid_t root_;
    std::chrono::milliseconds interval_;
    std::function<void()> on_tick_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool baseline_taken_ = false;
    UsageAccumulator usage_; // touched by the thread only, read after join
    std::string error_;
    std::thread thread_;
};

} // namespace pb::harness
