#pragma once
// The list of runs a scenario asks for, in the order they will run.
#include <cstddef>
#include <vector>

#include "scenario/scenario.hpp"

namespace pb::harness {

struct PlannedRun {
    int id = 0;                    // 1-based, in run order
    std::size_t server = 0;        // index into Scenario::servers
    int connections = 0;
    int repetition = 0;            // 1-based
    int load_point = -1;           // generator open: index into load.rates or load.utilization
    int cost_set = 0;              // generator open: index into load.cost_sets
};

// interleave: each repetition runs every server once, and the servers take
// turns at going first (A B C, B C A, C A B), so that drift of the machine
// over time (heat, other load) does not favour one. grouped: all repetitions
// of a server back to back.
std::vector<PlannedRun> plan_runs(const Scenario& scenario);

} // namespace pb::harness
