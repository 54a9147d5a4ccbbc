#pragma once
// Sampling a process tree over a run's window, on a thread of its own, and
// what the sampling itself costs.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>
#include <vector>

#include "measure/process_usage.hpp"

namespace pb::harness {

// What sampling costs the machine, one sample at a time: the harness's own
// time, which must not be mistaken for the server's.
struct SamplingCost {
    int samples = 0;
    std::chrono::nanoseconds wall_total{0}, wall_max{0}; // elapsed, per sample
    std::chrono::nanoseconds cpu_total{0}, cpu_max{0};   // the sampling thread's CPU time, per sample

    void add(std::chrono::nanoseconds wall, std::chrono::nanoseconds cpu);
    void add(const SamplingCost& other);
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
