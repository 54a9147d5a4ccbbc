#include "scenario/run_plan.hpp"

namespace pb::harness {

std::vector<PlannedRun> plan_runs(const Scenario& scenario) {
    std::vector<PlannedRun> runs;
    const std::size_t servers = scenario.servers.size();
    auto add = [&](std::size_t server, int connections, int repetition) {
        runs.push_back({static_cast<int>(runs.size()) + 1, server, connections, repetition});
    };
    if (scenario.order == Order::grouped) {
        for (std::size_t s = 0; s < servers; ++s)
            for (int connections : run_connections(scenario))
                for (int r = 1; r <= scenario.repetitions; ++r) add(s, connections, r);
        return runs;
    }
    for (int r = 1; r <= scenario.repetitions; ++r)
        for (int connections : run_connections(scenario))
            for (std::size_t k = 0; k < servers; ++k) add((k + static_cast<std::size_t>(r - 1)) % servers, connections, r);
    return runs;
}

} // namespace pb::harness
