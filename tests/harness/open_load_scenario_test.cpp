// A scenario's [load] table: the open-loop generator, its offered loads,
// costs and connections; what it refuses; the runs it plans.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "open_load.hpp"
#include "scenario/run_plan.hpp"
#include "scenario/scenario.hpp"

namespace pb::harness {
namespace {

const std::string servers = "[[server]]\nmodel = \"prefork-epoll\"\n[[server]]\nmodel = \"threadpool\"\n";

Scenario parse(const std::string& load) {
    return parse_scenario("description = \"d\"\nrepetitions = 2\n" + load + servers, "open.toml");
}

// The message of the one ScenarioError `load` gives; empty if none.
std::string error_of(const std::string& text) {
    try {
        parse_scenario("description = \"d\"\n" + text, "open.toml");
    } catch (const ScenarioError& error) {
        return error.what();
    }
    return "";
}

TEST(OpenLoadScenario, WrkUnlessGeneratorOpen) {
    EXPECT_EQ(parse("").generator, Generator::wrk);
    EXPECT_EQ(parse("[load]\ngenerator = \"wrk\"\n").generator, Generator::wrk);
}

TEST(OpenLoadScenario, EveryKeyIsRead) {
    const Scenario s = parse("[load]\ngenerator = \"open\"\nutilization = [0.1, 0.5, 0.9]\narrival = \"uniform\"\n"
                             "cost = [\"work=exp:2ms\", \"delay=fixed:1ms\"]\nconnections = 32\nthreads = 2\n"
                             "connect_per_request = true\nseed = 7\nduration = \"5s\"\nwarmup = \"1s\"\ntimeout = \"3s\"\n");
    EXPECT_EQ(s.generator, Generator::open);
    EXPECT_EQ(s.load.utilization, (std::vector<double>{0.1, 0.5, 0.9}));
    EXPECT_TRUE(s.load.rates.empty());
    EXPECT_EQ(s.load.arrival, "uniform");
    ASSERT_EQ(s.load.cost_sets.size(), 1u);
    EXPECT_EQ(s.load.cost_sets[0].costs, (std::vector<std::string>{"work=exp:2ms", "delay=fixed:1ms"}));
    EXPECT_DOUBLE_EQ(s.load.cost_sets[0].mean_work_us, 2000);
    EXPECT_EQ(s.load.connections, std::vector<int>{32});
    EXPECT_EQ(s.load.threads, 2);
    EXPECT_TRUE(s.load.connect_per_request);
    EXPECT_EQ(s.load.seed, 7u);
    EXPECT_EQ(s.load.duration, std::chrono::seconds(5));
    EXPECT_EQ(s.load.warmup, std::chrono::seconds(1));
    EXPECT_EQ(s.load.timeout, std::chrono::seconds(3));
    EXPECT_EQ(run_connections(s), std::vector<int>{32});
    EXPECT_FALSE(s.load.closed);
    EXPECT_FALSE(s.load.realtime);
    EXPECT_EQ(s.load.requests, 0u);
}

TEST(OpenLoadScenario, RequestsRealtimeAndAConnectionSweep) {
    const Scenario s = parse("[load]\ngenerator = \"open\"\nrates = [100, 200]\nconnections = [1, 4, 16]\n"
                             "realtime = true\nrequests = 30000\nspin = \"0\"\n");
    EXPECT_TRUE(s.load.realtime);
    EXPECT_EQ(s.load.spin, std::chrono::nanoseconds::zero());
    EXPECT_FALSE(parse("[load]\ngenerator = \"open\"\nrates = [1]\n").load.spin) << "unset: the generator's default";
    EXPECT_EQ(s.load.requests, 30000u);
    EXPECT_EQ(s.load.connections, (std::vector<int>{1, 4, 16}));
    const std::vector<PlannedRun> plan = plan_runs(s);
    ASSERT_EQ(plan.size(), 3u * 2u * 2u * 2u) << "connections x rates x servers x repetitions";
    for (int connections : {1, 4, 16})
        for (int point = 0; point < 2; ++point)
            EXPECT_EQ(std::count_if(plan.begin(), plan.end(), [&](const PlannedRun& r) {
                          return r.connections == connections && r.load_point == point;
                      }),
                      4);
}

TEST(OpenLoadScenario, AClosedLoopHasOnePointPerConnectionCount) {
    const Scenario s = parse("[load]\ngenerator = \"open\"\nloop = \"closed\"\ncost = \"work=fixed:1ms\"\n"
                             "connections = [1, 2]\nduration = \"3s\"\n");
    EXPECT_TRUE(s.load.closed);
    EXPECT_EQ(s.load.points(), 1u);
    EXPECT_EQ(plan_runs(s).size(), 2u * 2u * 2u);
}

TEST(OpenLoadScenario, RestartsAndKernelSettingsBelongToAServer) {
    const Scenario s = parse_scenario(
        "description = \"d\"\n[load]\ngenerator = \"open\"\nrates = [100]\n"
        "[[server]]\nmodel = \"prefork-epoll\"\nrestart = \"kill\"\nrestart_every = \"5s\"\n"
        "sysctl = { \"net.ipv4.tcp_migrate_req\" = \"1\" }\n"
        "[[server]]\nlabel = \"t\"\nmodel = \"accept-mutex-fork\"\nrestart = \"term\"\n",
        "open.toml");
    EXPECT_EQ(s.servers[0].restart_signal, SIGKILL);
    EXPECT_EQ(s.servers[0].restart_every, std::chrono::seconds(5));
    EXPECT_EQ(s.servers[0].sysctl, (std::vector<std::pair<std::string, std::string>>{{"net.ipv4.tcp_migrate_req", "1"}}));
    EXPECT_EQ(s.servers[1].restart_signal, SIGTERM);
    EXPECT_EQ(s.servers[1].restart_every, std::chrono::seconds(10)) << "the default";
}

TEST(OpenLoadScenario, RatesAndASingleCostString) {
    const Scenario s = parse("[load]\ngenerator = \"open\"\nrates = [100, 2500.5]\ncost = \"delay=exp:5ms\"\n");
    EXPECT_EQ(s.load.rates, (std::vector<double>{100, 2500.5}));
    EXPECT_EQ(s.load.cost_sets.at(0).costs, std::vector<std::string>{"delay=exp:5ms"});
    EXPECT_EQ(s.load.cost_sets.at(0).mean_work_us, 0) << "a delay is no work: it defines no capacity";
}

TEST(OpenLoadScenario, ACostSweepIsARunPerCost) {
    const Scenario s = parse("[load]\ngenerator = \"open\"\nutilization = [0.5]\n"
                             "costs = [\"work=fixed:1ms\", [\"work=exp:2ms\", \"delay=fixed:1ms\"]]\n");
    ASSERT_EQ(s.load.cost_sets.size(), 2u);
    EXPECT_EQ(s.load.cost_sets[0].costs, std::vector<std::string>{"work=fixed:1ms"});
    EXPECT_DOUBLE_EQ(s.load.cost_sets[1].mean_work_us, 2000);
    const std::vector<PlannedRun> plan = plan_runs(s);
    ASSERT_EQ(plan.size(), 2u * 2u * 2u) << "cost sets x servers x repetitions";
    for (int set = 0; set < 2; ++set)
        EXPECT_EQ(std::count_if(plan.begin(), plan.end(), [&](const PlannedRun& r) { return r.cost_set == set; }), 4);
}

TEST(OpenLoadScenario, EachOfferedLoadIsARunOfEveryServerInEveryRepetition) {
    const Scenario s = parse("[load]\ngenerator = \"open\"\nrates = [100, 200, 300]\n");
    const std::vector<PlannedRun> plan = plan_runs(s);
    ASSERT_EQ(plan.size(), 2u * 3u * 2u);
    for (int point = 0; point < 3; ++point)
        for (std::size_t server = 0; server < 2; ++server)
            for (int repetition = 1; repetition <= 2; ++repetition)
                EXPECT_EQ(std::count_if(plan.begin(), plan.end(), [&](const PlannedRun& r) {
                              return r.load_point == point && r.server == server && r.repetition == repetition;
                          }),
                          1);
    for (const PlannedRun& run : plan) EXPECT_EQ(run.connections, 64) << "the generator's connections";
}

TEST(OpenLoadScenario, EachRepetitionHasItsOwnSeedAndEveryServerTheSame) {
    const Scenario s = parse("[load]\ngenerator = \"open\"\nrates = [100]\nseed = 7\n");
    for (const PlannedRun& run : plan_runs(s)) EXPECT_EQ(run_seed(s.load, run), 7u + static_cast<unsigned>(run.repetition) - 1);
}

TEST(OpenLoadScenario, MistakesAreNamedByKey) {
    const std::string open = "[load]\ngenerator = \"open\"\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"[load]\ngenerator = \"closed\"\n" + servers, "load.generator: expected \"wrk\" or \"open\""},
        {open + servers, "load.rates: expected either rates"},
        {open + "rates = [100]\nutilization = [0.5]\n" + servers, "load.rates: expected either rates"},
        {open + "rates = [100, -1]\n" + servers, "load.rates: expected a non-empty array of numbers above 0"},
        {open + "rates = []\n" + servers, "load.rates: expected a non-empty array"},
        {open + "utilization = [0.5]\n" + servers, "load.utilization: expected a work= cost"},
        {open + "rates = [100]\ncost = \"exp:\"\n" + servers, "load.cost: expected"},
        {open + "rates = [100]\ncost = [\"work=exp:1ms\", \"work=fixed:1ms\"]\n" + servers, "load.cost: expected at most one cost per target"},
        {open + "rates = [100]\narrival = \"bursty\"\n" + servers, "load.arrival: expected \"poisson\" or \"uniform\""},
        {open + "rates = [100]\nconnections = 1\nthreads = 2\n" + servers, "load.connections: expected at least load.threads"},
        {open + "rates = [100]\nconnect_per_request = \"yes\"\n" + servers, "load.connect_per_request: expected true or false"},
        {open + "rates = [100]\ntimeout = \"0\"\n" + servers, "load.timeout: expected a duration above 0"},
        {open + "rates = [100]\n[wrk]\nthreads = 2\n" + servers, "wrk: expected no [wrk] table with load.generator = \"open\""},
        {"[load]\nrates = [100]\n" + servers, "load.rates: expected no such key with generator = \"wrk\""},
        {open + "rates = [100]\ncost = \"work=exp:1ms\"\n[[server]]\nkind = \"peer\"\npeer = \"nginx\"\n",
         "load.cost: expected no costs in a scenario with peers"},
        {"mode = \"idle-connections\"\n" + open + "rates = [100]\n" + servers, "load: expected no [load] table"},
        {open + "loop = \"half\"\nrates = [100]\n" + servers, "load.loop: expected \"open\" or \"closed\""},
        {open + "rates = [100]\ncost = \"work=exp:1ms\"\ncosts = [\"work=exp:1ms\"]\n" + servers, "load.costs: expected either cost or costs"},
        {open + "rates = [100]\ncosts = []\n" + servers, "load.costs: expected a non-empty array of costs"},
        {open + "utilization = [0.5]\ncosts = [\"work=exp:1ms\", \"delay=exp:1ms\"]\n" + servers, "load.utilization: expected a work= cost with a mean above 0 in every cost"},
        {open + "rates = [100]\ncosts = [\"work=exp:1ms\", 3]\n" + servers, "load.costs: expected a cost string or an array of them"},
        {open + "loop = \"closed\"\nrates = [100]\n" + servers, "load.rates: expected no such key with loop = \"closed\""},
        {open + "loop = \"closed\"\nconnect_per_request = true\n" + servers, "load.connect_per_request: expected false with loop"},
        {open + "rates = [100]\nrealtime = 1\n" + servers, "load.realtime: expected true or false"},
        {open + "rates = [100]\nrequests = 10\nduration = \"5s\"\n" + servers, "load.requests: expected either requests"},
        {open + "rates = [100]\nconnections = [8, 0]\n" + servers, "load.connections: expected a positive integer"},
        {open + "rates = [100]\n[[server]]\nmodel = \"threadpool\"\nrestart = \"kill\"\n",
         "server[0].restart: expected a model with worker processes"},
        {open + "rates = [100]\n[[server]]\nmodel = \"prefork-epoll\"\nrestart = \"hup\"\n", "server[0].restart: expected \"kill\" or \"term\""},
        {"[[server]]\nmodel = \"prefork-epoll\"\nrestart = \"kill\"\n",
         "server[0].restart: expected a run loaded by prefork-load ([load] generator = \"open\")"},
        {open + "rates = [100]\n[[server]]\nmodel = \"prefork-epoll\"\nrestart_every = \"5s\"\n", "server[0].restart_every: expected a restart key"},
        {open + "rates = [100]\n[[server]]\nmodel = \"prefork-epoll\"\nsysctl = { \"../x\" = \"1\" }\n", "server[0].sysctl: expected kernel setting names"},
    };
    for (const auto& [text, expected] : cases) {
        const std::string message = error_of(text);
        EXPECT_NE(message.find("open.toml: " + expected), std::string::npos) << "for:\n" << text << "got: " << message;
    }
}

} // namespace
} // namespace pb::harness
