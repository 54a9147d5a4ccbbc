#include "scenario/run_plan.hpp"

namespace pb::harness {
namespace {

// What varies between the runs of one server in one repetition: wrk's
// connection counts, or the open loop's offered loads.
struct LoadPoint {
    int connections;
    int load_point;
    int cost_set;
};

std::vector<LoadPoint> load_points(const Scenario& scenario) {
    std::vector<LoadPoint> points;
    if (scenario.generator == Generator::open) {
        for (std::size_t set = 0; set < scenario.load.cost_sets.size(); ++set)
            for (int connections : scenario.load.connections)
                for (std::size_t i = 0; i < scenario.load.points(); ++i)
                    points.push_back({connections, static_cast<int>(i), static_cast<int>(set)});
        return points;
    }
    for (int connections : run_connections(scenario)) points.push_back({connections, -1, 0});
    return points;
}

} // namespace

std::vector<PlannedRun> plan_runs(const Scenario& scenario) {
    std::vector<PlannedRun> runs;
    const std::size_t servers = scenario.servers.size();
    const std::vector<LoadPoint> points = load_points(scenario);
    auto add = [&](std::size_t server, const LoadPoint& point, int repetition) {
        runs.push_back(
            {static_cast<int>(runs.size()) + 1, server, point.connections, repetition, point.load_point, point.cost_set});
    };
    if (scenario.order == Order::grouped) {
        for (std::size_t s = 0; s < servers; ++s)
            for (const LoadPoint& point : points)
                for (int r = 1; r <= scenario.repetitions; ++r) add(s, point, r);
        return runs;
    }
    for (int r = 1; r <= scenario.repetitions; ++r)
        for (const LoadPoint& point : points)
            for (std::size_t k = 0; k < servers; ++k) add((k + static_cast<std::size_t>(r - 1)) % servers, point, r);
    return runs;
}

} // namespace pb::harness
