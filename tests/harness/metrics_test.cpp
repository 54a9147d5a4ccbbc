#include "results/metrics.hpp"

#include <gtest/gtest.h>
#include <vector>

namespace pb::harness {
namespace {

using namespace std::chrono_literals;

TEST(MetricsTest, LittleBoundOfTheFasthttpCommand) {
    // 512 connections that each wait 100 ms: 5,120 req/s at most.
    const std::optional<double> bound = little_bound(512, 100ms, 0ms);
    ASSERT_TRUE(bound);
    EXPECT_DOUBLE_EQ(*bound, 5120);
}

TEST(MetricsTest, LittleBoundCountsWorkAsWaiting) {
    const std::optional<double> bound = little_bound(100, 8ms, 2ms);
    ASSERT_TRUE(bound);
    EXPECT_DOUBLE_EQ(*bound, 10000);
}

TEST(MetricsTest, NoLittleBoundWithoutDelay) {
    EXPECT_FALSE(little_bound(512, 0ms, 0ms));
    EXPECT_FALSE(little_bound(512, 0ms, 1ms));
}

RunResult run_with(int connections, std::chrono::nanoseconds delay, std::uint64_t requests, double duration_s) {
    RunResult run;
    run.connections = connections;
    run.delay = delay;
    run.wrk.requests = requests;
    run.wrk.duration_s = duration_s;
    return run;
}

TEST(MetricsTest, EfficiencyIsRateOverBound) {
    // 46,080 requests in 10 s against a 5,120 req/s bound.
    const std::optional<double> e = efficiency(run_with(512, 100ms, 46080, 10));
    ASSERT_TRUE(e);
    EXPECT_DOUBLE_EQ(*e, 0.9);
}

TEST(MetricsTest, NoEfficiencyWithoutBound) {
    EXPECT_FALSE(efficiency(run_with(512, 0ms, 46080, 10)));
}

TEST(MetricsTest, JainIndex) {
    const std::vector<double> even{1, 1, 1, 1}, one_of_four{1, 0, 0, 0}, one_of_two{512, 0}, uneven{3, 1};
    EXPECT_DOUBLE_EQ(*jain_index(even), 1);
    EXPECT_DOUBLE_EQ(*jain_index(one_of_four), 0.25);
    EXPECT_DOUBLE_EQ(*jain_index(one_of_two), 0.5);
    EXPECT_DOUBLE_EQ(*jain_index(uneven), 16.0 / 20.0); // (3+1)^2 / (2 * (9+1))
}

TEST(MetricsTest, NoJainIndexForNothingOrZeros) {
    const std::vector<double> empty, zeros{0, 0, 0};
    EXPECT_FALSE(jain_index(empty));
    EXPECT_FALSE(jain_index(zeros));
}

RunResult run_with_workers(int connections, std::vector<std::uint64_t> accepted, int queue_at_end) {
    RunResult run;
    run.connections = connections;
    for (std::size_t i = 0; i < accepted.size(); ++i) {
        WorkerRow row;
        row.worker = static_cast<int>(i);
        row.connections = accepted[i];
        run.workers.push_back(row);
    }
    run.listen_queue.at_end = queue_at_end;
    return run;
}

TEST(MetricsTest, UnservedIsWhatNoWorkerAccepted) {
    EXPECT_EQ(unserved_connections(run_with_workers(512, {100, 100, 100, 100}, 0)), 112);
}

TEST(MetricsTest, UnservedIsAtLeastTheListenQueue) {
    EXPECT_EQ(unserved_connections(run_with_workers(512, {300, 212}, 40)), 40);
    EXPECT_EQ(unserved_connections(run_with_workers(512, {300, 200}, 5)), 12);
}

TEST(MetricsTest, UnservedIsNeverNegative) {
    // Reconnects after errors: more accepted than wrk keeps open.
    EXPECT_EQ(unserved_connections(run_with_workers(16, {20, 30}, 0)), 0);
    EXPECT_EQ(unserved_connections(run_with_workers(16, {8, 8}, 0)), 0);
}

TEST(MetricsTest, NoUnservedWithoutWorkerStats) {
    RunResult run;
    run.connections = 512;
    run.listen_queue.at_end = 100;
    EXPECT_FALSE(unserved_connections(run));
}

TEST(MetricsTest, CpuPercent) {
    ProcessUsage usage;
    usage.user_s = 3;
    usage.system_s = 1;
    EXPECT_DOUBLE_EQ(cpu_percent(usage, 2), 200);
    EXPECT_DOUBLE_EQ(cpu_percent(usage, 0), 0);
}

// Nearest rank: the ceil(p/100 * n)-th smallest value.
TEST(MetricsTest, NearestRankPercentiles) {
    std::vector<double> hundred;
    for (int i = 100; i >= 1; --i) hundred.push_back(i); // unsorted on purpose
    EXPECT_EQ(nearest_rank(hundred, 50), 50);
    EXPECT_EQ(nearest_rank(hundred, 99), 99);
    EXPECT_EQ(nearest_rank(hundred, 100), 100);
    EXPECT_EQ(nearest_rank(hundred, 0.5), 1);
    const std::vector<double> ten = {0.3, 0.1, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 5.0};
    EXPECT_EQ(nearest_rank(ten, 50), 0.5);
    EXPECT_EQ(nearest_rank(ten, 99), 5.0); // rank ceil(9.9) = 10
    EXPECT_EQ(nearest_rank({2.5}, 50), 2.5);
    EXPECT_FALSE(nearest_rank({}, 50));
    EXPECT_FALSE(nearest_rank(ten, 0));
    EXPECT_FALSE(nearest_rank(ten, 101));
}

// A run in which wrk used `percent` of one CPU over a 10 s window, with
// `cpus` CPUs to run on.
RunResult run_with_wrk_at(double percent, int cpus) {
    RunResult run;
    run.wrk.duration_s = 10;
    run.wrk_usage.processes = 1;
    run.wrk_usage.runtime_s = percent / 100.0 * 10;
    run.wrk_cpus = cpus;
    return run;
}

TEST(ClientBound, WrkAtNinetyPercentOfItsCpusIsTheBottleneck) {
    const std::optional<ClientBound> one = client_bound(run_with_wrk_at(98.9, 1));
    ASSERT_TRUE(one);
    EXPECT_TRUE(one->bound);
    EXPECT_EQ(one->reason, "wrk used 98.9 % of its 1 CPU (at least 90 %)");
    const std::optional<ClientBound> two = client_bound(run_with_wrk_at(185, 2));
    ASSERT_TRUE(two);
    EXPECT_TRUE(two->bound);
    EXPECT_EQ(two->reason, "wrk used 92.5 % of its 2 CPUs (at least 90 %)");
}

TEST(ClientBound, BelowNinetyPercentOfItsCpusItIsNot) {
    const std::optional<ClientBound> verdict = client_bound(run_with_wrk_at(98.9, 2)); // half of two CPUs
    ASSERT_TRUE(verdict);
    EXPECT_FALSE(verdict->bound);
    EXPECT_EQ(verdict->reason, "");
    EXPECT_FALSE(client_bound(run_with_wrk_at(89.9, 1))->bound);
}

TEST(ClientBound, FewerWrkThreadsThanCpusFillOnlyAsManyCpus) {
    RunResult run = run_with_wrk_at(190, 4); // unpinned on 4 CPUs, with wrk -t 2
    run.threads = 2;
    const std::optional<ClientBound> verdict = client_bound(run);
    ASSERT_TRUE(verdict);
    EXPECT_TRUE(verdict->bound);
    EXPECT_EQ(verdict->reason, "wrk used 95.0 % of the 2 CPUs its 2 threads can use (at least 90 %)");
}

TEST(ClientBound, UnknownWithoutWrksCpuTimeOrItsCpus) {
    RunResult no_sample = run_with_wrk_at(99, 1);
    no_sample.wrk_usage.processes = 0;
    EXPECT_FALSE(client_bound(no_sample));
    EXPECT_FALSE(client_bound(run_with_wrk_at(99, 0)));
    RunResult idle = run_with_wrk_at(99, 1);
    idle.wrk.duration_s = 0; // an idle-connections run measures no wrk
    EXPECT_FALSE(client_bound(idle));
}

// Several wrk (wrk across hosts): each machine against its own CPUs.
MachineLoad machine(std::string names, double cpu_percent, int threads, int cpus, bool known = true) {
    return {std::move(names), cpu_percent / 100.0 * 10, 10, threads, cpus, known};
}

TEST(ClientBoundByMachine, AMachineAtNinetyPercentOfWhatItsThreadsCanUseIsTheBottleneck) {
    const std::optional<ClientBound> verdict = client_bound_by_machine(
        {machine("ssh://a", 40, 4, 2), machine("ssh://b and ssh://c", 186, 8, 2)});
    ASSERT_TRUE(verdict);
    EXPECT_TRUE(verdict->bound);
    EXPECT_EQ(verdict->reason, "ssh://b and ssh://c: wrk used 93.0 % of the 2 CPUs its threads can use there (at least 90 %)");
    // One thread fills one CPU of a machine's four.
    EXPECT_TRUE(client_bound_by_machine({machine("ssh://a", 95, 1, 4)})->bound);
}

TEST(ClientBoundByMachine, NoneBoundWhenEveryMachineWasJudgedBelow) {
    const std::optional<ClientBound> verdict = client_bound_by_machine({machine("ssh://a", 170, 4, 2), machine("local", 50, 2, 2)});
    ASSERT_TRUE(verdict);
    EXPECT_FALSE(verdict->bound);
    EXPECT_EQ(verdict->reason, "");
}

TEST(ClientBoundByMachine, UnknownWhenAMachineCouldNotBeJudgedAndNoneWasBound) {
    EXPECT_FALSE(client_bound_by_machine({machine("ssh://a", 50, 4, 2), machine("ssh://b", 0, 4, 2, false)}));
    EXPECT_FALSE(client_bound_by_machine({machine("ssh://a", 50, 4, 0)})) << "no CPUs known";
    // A bound machine is enough to say so.
    EXPECT_TRUE(client_bound_by_machine({machine("ssh://a", 190, 4, 2), machine("ssh://b", 0, 4, 2, false)})->bound);
}

TEST(ClientBound, ARunOfSeveralWrkTakesTheVerdictByMachine) {
    RunResult run = run_with_wrk_at(199, 2); // summed over two machines: not one machine's share
    run.fleet.clients = {"ssh://a#1: wrk", "ssh://b#1: wrk"};
    EXPECT_FALSE(client_bound(run)) << "not judged by machine: not known";
    run.fleet.client_bound = false;
    ASSERT_TRUE(client_bound(run));
    EXPECT_FALSE(client_bound(run)->bound);
    run.fleet.client_bound = true;
    run.fleet.client_bound_reason = "ssh://a: ...";
    EXPECT_EQ(client_bound(run)->reason, "ssh://a: ...");
}

} // namespace
} // namespace pb::harness
