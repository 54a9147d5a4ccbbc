#include "machine_claim.hpp"

#include <cstdio>
#include <fmt/format.h>

namespace pb::harness {

MachineClaim claim_machine(const ClaimOptions& options, const std::atomic<bool>& interrupted) {
    MachineClaim claim;
    claim.lock_file = options.lock_file.empty() ? default_lock_file() : options.lock_file;
    const auto on_wait = [&](const std::string& other) {
        fmt::print("waiting for the harness that holds {}: {} (--no-wait refuses instead)\n", claim.lock_file.string(), other);
        std::fflush(stdout);
    };
    claim.lock = std::make_unique<RunLock>(claim.lock_file, options.wait ? RunLock::Wait::yes : RunLock::Wait::no,
                                           options.holder, on_wait, interrupted);
    // Under the lock: no other harness of this machine starts anything now.
    claim.killed_leftovers = deal_with_leftovers(options.leftovers);
    if (!claim.killed_leftovers.empty())
        fmt::print("killed {} process(es) an earlier harness left: {}\n", claim.killed_leftovers.size(),
                   describe(claim.killed_leftovers));
    claim.watchdog = std::make_unique<Watchdog>();
    return claim;
}

} // namespace pb::harness
