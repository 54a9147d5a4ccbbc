#pragma once
// One harness at a time per machine: two at once pin their servers to the
// same CPU and measure each other. The lock is flock(2) on a file, so it goes
// when its holder dies, however it dies; the holder writes who it is into
// the file for whoever waits.
#include <atomic>
#include <filesystem>
#include <functional>
#include <string>

#include "common/fd.hpp"

namespace pb::harness {

// $PREFORK_BENCH_LOCK if set, else /run/lock/prefork-bench.lock where
// /run/lock is writable, else /tmp/prefork-bench.lock.
std::filesystem::path default_lock_file();

class RunLock {
public:
    enum class Wait { yes, no };

    // Takes the lock on `file`, creating it, and writes `holder` and the time
    // into it. When another process holds it: with Wait::no throws at once;
    // with Wait::yes calls `on_wait` with the holder's description and waits
    // until the lock is free or `interrupted` is set (then throws). Throws
    // naming the call that failed.
    RunLock(const std::filesystem::path& file, Wait wait, const std::string& holder,
            const std::function<void(const std::string&)>& on_wait, const std::atomic<bool>& interrupted);

    int fd() const { return fd_.get(); }

private:
    Fd fd_;
};

// What the holder of `file` wrote about itself; "unknown" when it wrote nothing.
std::string lock_holder(const std::filesystem::path& file);

} // namespace pb::harness
