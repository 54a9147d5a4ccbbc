#pragma once
// The open loop (generator open) of a run: the capacity utilization is a
// fraction of, the offered rate, and prefork-load's command.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runner.hpp"

namespace pb::harness {

// min(server CPUs, its --workers) / mean work, in requests/s; 0 without a work cost.
double server_capacity(const RunContext& context, const ServerSpec& spec);
double offered_rate(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned);
std::vector<std::string> load_command(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned,
                                      std::uint16_t port, const std::filesystem::path& json);

} // namespace pb::harness
