#include "measure/usage_json.hpp"

#include <fmt/format.h>
#include <stdexcept>

namespace pb::harness {
namespace {

using nlohmann::json;

template <typename T>
T field(const json& object, const char* key) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_number())
        throw std::runtime_error(fmt::format("usage: key '{}': expected a number", key));
    return object[key].get<T>();
}

std::chrono::nanoseconds ns(const json& object, const char* key) {
    return std::chrono::nanoseconds(field<std::int64_t>(object, key));
}

} // namespace

json to_json(const ProcessUsage& usage) {
    return {{"user_s", usage.user_s},
            {"system_s", usage.system_s},
            {"runtime_s", usage.runtime_s},
            {"peak_rss_mib", usage.peak_rss_mib},
            {"voluntary_switches", usage.voluntary_switches},
            {"involuntary_switches", usage.involuntary_switches},
            {"processes", usage.processes},
            {"threads", usage.threads}};
}

json to_json(const SamplingCost& cost) {
    return {{"samples", cost.samples},
            {"wall_total_ns", cost.wall_total.count()},
            {"wall_max_ns", cost.wall_max.count()},
            {"cpu_total_ns", cost.cpu_total.count()},
            {"cpu_max_ns", cost.cpu_max.count()}};
}

ProcessUsage usage_from_json(const json& json) {
    ProcessUsage usage;
    usage.user_s = field<double>(json, "user_s");
    usage.system_s = field<double>(json, "system_s");
    usage.runtime_s = field<double>(json, "runtime_s");
    usage.peak_rss_mib = field<double>(json, "peak_rss_mib");
    usage.voluntary_switches = field<std::uint64_t>(json, "voluntary_switches");
    usage.involuntary_switches = field<std::uint64_t>(json, "involuntary_switches");
    usage.processes = field<int>(json, "processes");
    usage.threads = field<int>(json, "threads");
    return usage;
}

SamplingCost cost_from_json(const json& json) {
    SamplingCost cost;
    cost.samples = field<int>(json, "samples");
    cost.wall_total = ns(json, "wall_total_ns");
    cost.wall_max = ns(json, "wall_max_ns");
    cost.cpu_total = ns(json, "cpu_total_ns");
    cost.cpu_max = ns(json, "cpu_max_ns");
    return cost;
}

} // namespace pb::harness
