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

// What sampling costs the machine, one sample at a time: the harness's own
// time, which must not be mistaken for the server's.
struct SamplingCost {
    int samples = 0;
    std::chrono::nanoseconds wall_total{0}, wall_max{0}; // elapsed, per sample
    std::chrono::nanoseconds cpu_total{0}, cpu_max{0};   // the sampling thread's CPU time, per sample

    void add(std::chrono::nanoseconds wall, std::chrono::nanoseconds cpu);
    void add(const SamplingCost& other);
};

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
// error(), and so is a root that is gone when RootGone::is_an_error.
//
// The tree is followed from root and from every process seen in it before,
// so a descendant that daemonizes (its parent becomes PID 1) is still
// counted.
class TreeSampler {
public:
    // A server must live through its window; wrk ends its own.
    enum class RootGone { is_an_error, ends_the_window };

    TreeSampler(pid_t root, std::chrono::milliseconds interval, std::function<void()> on_tick = {},
                RootGone root_gone = RootGone::is_an_error);
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
    // What the samples cost; read after stop().
    const SamplingCost& cost() const { return cost_; }

private:
    void run();
    void tick();
    void sample();
    void keep_first(std::string_view what) noexcept;

    pid_t root_;
    std::chrono::milliseconds interval_;
    std::function<void()> on_tick_;
    RootGone root_gone_;
    std::vector<pid_t> seen_;   // the tree at the last sample; touched by the thread only
    SamplingCost cost_;         // touched by the thread only, read after join
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool baseline_taken_ = false;
    UsageAccumulator usage_; // touched by the thread only, read after join
    std::string error_;
    std::thread thread_;
};

} // namespace pb::harness
