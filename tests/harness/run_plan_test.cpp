// The order of runs: interleaved servers take turns going first.
#include <gtest/gtest.h>

#include "scenario/run_plan.hpp"

namespace pb::harness {
namespace {

Scenario three_servers(Order order, int repetitions, std::vector<int> connections = {512}) {
    Scenario s;
    for (const auto& [label, model] : {std::pair{"A", "prefork-epoll"}, {"B", "threadpool"}, {"C", "accept-mutex-fork"}}) {
        ServerSpec server;
        server.label = label;
        server.model = model;
        s.servers.push_back(server);
    }
    s.order = order;
    s.repetitions = repetitions;
    s.wrk.connections = std::move(connections);
    return s;
}

std::string labels(const Scenario& s, const std::vector<PlannedRun>& runs) {
    std::string out;
    for (const PlannedRun& run : runs) out += s.servers[run.server].label;
    return out;
}

TEST(RunPlan, InterleaveRotatesWhoGoesFirst) {
    Scenario s = three_servers(Order::interleave, 3);
    std::vector<PlannedRun> runs = plan_runs(s);
    EXPECT_EQ(labels(s, runs), "ABCBCACAB");
    for (std::size_t i = 0; i < runs.size(); ++i) {
        EXPECT_EQ(runs[i].id, static_cast<int>(i) + 1);
        EXPECT_EQ(runs[i].repetition, static_cast<int>(i / 3) + 1);
    }
}

TEST(RunPlan, GroupedRunsEachServersRepetitionsBackToBack) {
    Scenario s = three_servers(Order::grouped, 2);
    EXPECT_EQ(labels(s, plan_runs(s)), "AABBCC");
}

TEST(RunPlan, EveryServerMeetsEveryConnectionCountInEveryRepetition) {
    Scenario s = three_servers(Order::interleave, 2, {16, 64});
    std::vector<PlannedRun> runs = plan_runs(s);
    ASSERT_EQ(runs.size(), 12u);
    for (int r = 1; r <= 2; ++r)
        for (int c : {16, 64})
            for (std::size_t server = 0; server < 3; ++server) {
                int found = 0;
                for (const PlannedRun& run : runs)
                    found += run.repetition == r && run.connections == c && run.server == server;
                EXPECT_EQ(found, 1) << "rep " << r << " c " << c << " server " << server;
            }
}

// An idle-connections scenario has one connection count, its [idle] one,
// whatever wrk's would have been.
TEST(RunPlan, IdleRunsUseTheIdleConnections) {
    Scenario s = three_servers(Order::interleave, 2, {16, 64});
    s.mode = Mode::idle_connections;
    s.idle.connections = 2000;
    std::vector<PlannedRun> runs = plan_runs(s);
    EXPECT_EQ(labels(s, runs), "ABCBCA");
    for (const PlannedRun& run : runs) EXPECT_EQ(run.connections, 2000);
}

} // namespace
} // namespace pb::harness
