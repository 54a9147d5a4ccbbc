#pragma once
// The open loop (generator open) of a run: the capacity utilization is a
// fraction of, the offered rate, and prefork-load's command.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runner.hpp"

namespace pb::harness {

// min(server CPUs, its --workers) / the run's mean work, in requests/s; 0 without a work cost.
double server_capacity(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned);
double offered_rate(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned);
// The seed of a run: load.seed in the first repetition, one more in each
// next. Every server gets the same schedules (common random numbers), and
// the repetitions of a point together hold different requests, so that
// pooling them adds information rather than copies.
std::uint64_t run_seed(const OpenLoad& load, const PlannedRun& planned);
// The measured time of a run: load.duration, or load.requests at the run's
// offered rate (whole milliseconds, rounded up).
std::chrono::nanoseconds measured_duration(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned);
// How long the generator may take before the run is failed.
std::chrono::nanoseconds run_limit(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned);
// One generator process's share of a run that several run side by side (on
// one host or several, [hosts]): the offered rate and the connections split
// evenly (the first processes take what does not divide), and a seed of
// its own (superposed Poisson streams are one Poisson stream of the total).
struct LoadPart {
    std::filesystem::path program;        // prefork-load on its host; empty: this build's
    std::string server = "127.0.0.1";     // where it reaches the server
    int index = 0, of = 1;                // this process of how many
    bool pin = true;                      // to wrk's CPUs, when pinned (this machine only)
};
int part_connections(int connections, const LoadPart& part);
// Process `index` of `of`, the rest as by default.
inline LoadPart part_of(int index, int of) {
    LoadPart part;
    part.index = index;
    part.of = of;
    return part;
}

std::vector<std::string> load_command(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned,
                                      std::uint16_t port, const std::filesystem::path& json, const LoadPart& part = {});

} // namespace pb::harness
