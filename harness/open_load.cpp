#include "open_load.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <cstdlib>
#include <fmt/format.h>

#include "common/cpus.hpp"
#include "common/units.hpp"

namespace pb::harness {

double server_capacity(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned) {
    const double mean_work_us = context.scenario->load.cost_sets.at(static_cast<std::size_t>(planned.cost_set)).mean_work_us;
    if (!(mean_work_us > 0)) return 0;
    int workers = pb::online_cpus(); // our servers' default --workers
    for (std::size_t i = 0; i < spec.flags.size(); ++i) {
        if (spec.flags[i] == "--workers" && i + 1 < spec.flags.size()) workers = std::atoi(spec.flags[i + 1].c_str());
        if (spec.flags[i].rfind("--workers=", 0) == 0) workers = std::atoi(spec.flags[i].c_str() + 10);
    }
    const int cpus = context.pinning.server_cpus.empty() ? static_cast<int>(pb::allowed_cpus().size())
                                                         : static_cast<int>(context.pinning.server_cpus.size());
    return std::min(workers, cpus) * 1e6 / mean_work_us;
}

double offered_rate(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned) {
    const OpenLoad& load = context.scenario->load;
    if (load.closed) return 0;
    const auto point = static_cast<std::size_t>(planned.load_point);
    return load.rates.empty() ? load.utilization.at(point) * server_capacity(context, spec, planned) : load.rates.at(point);
}

std::uint64_t run_seed(const OpenLoad& load, const PlannedRun& planned) {
    return load.seed + static_cast<std::uint64_t>(std::max(planned.repetition, 1) - 1);
}

std::chrono::nanoseconds measured_duration(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned) {
    const OpenLoad& load = context.scenario->load;
    if (load.requests == 0) return load.duration;
    const double rate = offered_rate(context, spec, planned);
    if (!(rate > 0)) throw std::runtime_error("load.requests: no offered rate to spread the requests over");
    // Whole milliseconds, rounded up: the count is a floor, not a target.
    const auto ms = static_cast<std::int64_t>(std::ceil(static_cast<double>(load.requests) / rate * 1000.0));
    return std::chrono::milliseconds(std::max<std::int64_t>(ms, 1));
}

std::chrono::nanoseconds run_limit(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned) {
    const OpenLoad& load = context.scenario->load;
    if (context.scenario->run_timeout > std::chrono::nanoseconds::zero()) return context.scenario->run_timeout;
    return load.warmup + measured_duration(context, spec, planned) + load.timeout + std::chrono::seconds(60);
}

int part_connections(int connections, const LoadPart& part) {
    return connections / part.of + (part.index < connections % part.of ? 1 : 0);
}

std::vector<std::string> load_command(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned,
                                      std::uint16_t port, const std::filesystem::path& json, const LoadPart& part) {
    const Scenario& scenario = *context.scenario;
    const OpenLoad& load = scenario.load;
    const std::filesystem::path program = part.program.empty() ? context.build_dir / "load" / "prefork-load" : part.program;
    std::vector<std::string> command = {program.string()};
    if (load.closed)
        command.push_back("--closed");
    else
        command.insert(command.end(), {"--rate", fmt::format("{:.6g}", offered_rate(context, spec, planned) / part.of)});
    command.insert(command.end(), {"--duration", format_duration(measured_duration(context, spec, planned)),
                                        "--warmup", format_duration(load.warmup),
                                        "--connections", std::to_string(part_connections(planned.connections, part)),
                                        "--threads", std::to_string(load.threads),
                                        "--arrival", load.arrival,
                                        "--seed", std::to_string(run_seed(load, planned) + 1'000'003 * static_cast<std::uint64_t>(part.index)),
                                        "--timeout", format_duration(load.timeout),
                                        "--progress", "0",
                                        "--json", json.string()});
    for (const std::string& cost : load.cost_sets.at(static_cast<std::size_t>(planned.cost_set)).costs)
        command.insert(command.end(), {"--cost", cost});
    if (load.connect_per_request) command.push_back("--connect-per-request");
    if (load.realtime) command.push_back("--realtime");
    if (load.spin) command.insert(command.end(), {"--spin", format_duration(*load.spin)});
    // Each thread on its own CPU of wrk's (the process is pinned to them all).
    if (part.pin && !context.pinning.wrk_cpus.empty()) command.insert(command.end(), {"--cpus", cpu_list(context.pinning.wrk_cpus)});
    for (const std::string& header : scenario.wrk.headers) command.insert(command.end(), {"-H", header});
    const bool v6 = part.server.find(':') != std::string::npos;
    command.push_back(fmt::format("http://{}{}{}:{}{}", v6 ? "[" : "", part.server, v6 ? "]" : "", port, scenario.wrk.path));
    return command;
}

} // namespace pb::harness
