#include "measure/tree_sampler.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>
#include <time.h>

#include "common/system_error.hpp"

namespace pb::harness {
namespace {

// The CPU time of the calling thread so far.
std::chrono::nanoseconds thread_cpu_time() {
    timespec now{};
    if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0) throw_system_error("clock_gettime", "CLOCK_THREAD_CPUTIME_ID");
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

} // namespace

void SamplingCost::add(std::chrono::nanoseconds wall, std::chrono::nanoseconds cpu) {
    ++samples;
    wall_total += wall;
    cpu_total += cpu;
    wall_max = std::max(wall_max, wall);
    cpu_max = std::max(cpu_max, cpu);
}

void SamplingCost::add(const SamplingCost& other) {
    samples += other.samples;
    wall_total += other.wall_total;
    cpu_total += other.cpu_total;
    wall_max = std::max(wall_max, other.wall_max);
    cpu_max = std::max(cpu_max, other.cpu_max);
}

TreeSampler::TreeSampler(pid_t root, std::chrono::milliseconds interval, std::function<void()> on_tick,
                         RootGone root_gone)
    : root_(root), interval_(interval), on_tick_(std::move(on_tick)), root_gone_(root_gone) {
    if (interval_ <= std::chrono::milliseconds::zero())
        throw std::invalid_argument("TreeSampler: the interval must be positive");
}

TreeSampler::~TreeSampler() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void TreeSampler::start() {
    std::unique_lock lock(mutex_);
    if (thread_.joinable() || stopping_) throw std::logic_error("TreeSampler: start() after start() or stop()");
    thread_ = std::thread([this] { run(); });
    wake_.wait(lock, [this] { return baseline_taken_; });
}

ProcessUsage TreeSampler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    return usage_.result();
}

std::string TreeSampler::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

void TreeSampler::run() {
    tick();
    std::unique_lock lock(mutex_);
    baseline_taken_ = true;
    wake_.notify_all();
    // Ticks keep to a fixed cadence rather than drifting by the time a
    // snapshot takes; after an overrun the cadence restarts from now.
    auto next = std::chrono::steady_clock::now() + interval_;
    while (!wake_.wait_until(lock, next, [this] { return stopping_; })) {
        lock.unlock();
        tick();
        lock.lock();
        next += interval_;
        if (const auto now = std::chrono::steady_clock::now(); next < now) next = now + interval_;
    }
    lock.unlock();
    tick(); // the end of the window
}

void TreeSampler::keep_first(std::string_view what) noexcept {
    std::lock_guard lock(mutex_);
    try {
        if (error_.empty()) error_ = what;
    } catch (...) {
        // Out of memory while keeping the message: lose the message.
    }
}

// One snapshot of the tree as it is now, followed from the root and from
// what was seen before.
void TreeSampler::sample() {
    std::vector<pid_t> roots{root_};
    roots.insert(roots.end(), seen_.begin(), seen_.end());
    seen_ = process_forest(roots);
    const bool root_alive = !seen_.empty() && seen_.front() == root_;
    if (!root_alive && root_gone_ == RootGone::is_an_error)
        keep_first(fmt::format("process {} is gone while it was being measured", root_));
    usage_.add(snapshot_of(seen_));
}

void TreeSampler::tick() {
    const auto wall_start = std::chrono::steady_clock::now();
    const std::chrono::nanoseconds cpu_start = thread_cpu_time();
    try {
        sample();
    } catch (const std::exception& e) {
        keep_first(e.what());
    } catch (...) {
        keep_first("sampling the process tree: unknown exception");
    }
    if (on_tick_) {
        try {
            on_tick_();
        } catch (const std::exception& e) {
            keep_first(e.what());
        } catch (...) {
            keep_first("on_tick: unknown exception");
        }
    }
    cost_.add(std::chrono::steady_clock::now() - wall_start, thread_cpu_time() - cpu_start);
}

} // namespace pb::harness
