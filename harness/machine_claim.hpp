#pragma once
// What a harness holds while it runs a scenario: the machine's run lock (one
// harness at a time), a machine free of what earlier harnesses left, and a
// watchdog that kills what this one leaves if it dies (guard/).
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "guard/leftovers.hpp"
#include "guard/run_lock.hpp"
#include "guard/watchdog.hpp"

namespace pb::harness {

struct ClaimOptions {
    std::filesystem::path lock_file;      // empty: default_lock_file()
    bool wait = true;                     // false: refuse when another harness holds the lock
    Leftovers leftovers = Leftovers::refuse;
    std::string holder;                   // what a waiting harness is told about this one
};

struct MachineClaim {
    std::filesystem::path lock_file;
    std::unique_ptr<RunLock> lock;
    std::vector<MarkedProcess> killed_leftovers;
    std::unique_ptr<Watchdog> watchdog; // after the lock: it ends (and cleans up) first
};

// In this order: the lock (waiting, and saying for whom, unless told not
// to), the leftover check, the watchdog. Throws, naming the reason, when the
// machine cannot be claimed. Call before any thread is started.
MachineClaim claim_machine(const ClaimOptions& options, const std::atomic<bool>& interrupted);

} // namespace pb::harness
