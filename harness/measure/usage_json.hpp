#pragma once
// A process tree's usage and what sampling it cost, as JSON: how a sampler
// on another host (pb-remote sample) hands its window to the harness.
#include <nlohmann/json.hpp>

#include "measure/process_usage.hpp"
#include "measure/tree_sampler.hpp"

namespace pb::harness {

nlohmann::json to_json(const ProcessUsage& usage);
nlohmann::json to_json(const SamplingCost& cost);
// Throw std::runtime_error naming the missing or mistyped key.
ProcessUsage usage_from_json(const nlohmann::json& json);
SamplingCost cost_from_json(const nlohmann::json& json);

} // namespace pb::harness
