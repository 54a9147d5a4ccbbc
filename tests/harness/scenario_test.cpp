// Scenario files: what a good file gives, and that every mistake names the
// file, the key and what was expected.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"
#include "support/case_name.hpp"

namespace pb::harness {
namespace {

using namespace std::chrono_literals;

const char* minimal = R"(
description = "two servers"
[[server]]
model = "prefork-epoll"
[[server]]
label = "tp"
model = "threadpool"
flags = ["--workers", "4"]
)";

Scenario parse(const std::string& text) { return parse_scenario(text, "test.toml"); }

// The message of the ScenarioError that parsing `text` throws.
std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const ScenarioError& error) {
        return error.what();
    }
    return "(no error)";
}

// The lines of an error message, one per problem.
std::vector<std::string> lines_of(const std::string& message) {
    std::vector<std::string> lines;
    std::istringstream in(message);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

TEST(Scenario, MinimalFileGetsTheDocumentedDefaults) {
    Scenario s = parse(minimal);
    EXPECT_EQ(s.name, "test");
    EXPECT_EQ(s.description, "two servers");
    EXPECT_EQ(s.delay, 100ms);
    EXPECT_EQ(s.work, 0ns);
    EXPECT_EQ(s.wrk.threads, 4);
    EXPECT_EQ(s.wrk.connections, std::vector<int>{512});
    EXPECT_EQ(s.wrk.duration, 15s);
    EXPECT_EQ(s.wrk.timeout, 8s);
    EXPECT_EQ(s.wrk.headers, documented_headers());
    EXPECT_EQ(s.repetitions, 3);
    EXPECT_EQ(s.order, Order::interleave);
    EXPECT_EQ(s.pin, "split");
    ASSERT_EQ(s.servers.size(), 2u);
    EXPECT_EQ(s.servers[0].label, "prefork-epoll"); // the model when no label is given
    EXPECT_EQ(s.servers[1].label, "tp");
    EXPECT_EQ(s.servers[1].flags, (std::vector<std::string>{"--workers", "4"}));
}

TEST(Scenario, EveryKeyIsRead) {
    Scenario s = parse(R"(
name = "x"
description = "d"
repetitions = 2
order = "grouped"
warmup = "1s"
pin = "none"
run_timeout = "90s"
[handler]
delay = "250us"
work = "1ms"
[wrk]
threads = 2
connections = [16, 32]
duration = "3s"
timeout = "2s"
headers = ["Host: example"]
path = "/hello"
[[server]]
model = "accept-mutex-fork"
flags = ["--io", "blocking"]
)");
    EXPECT_EQ(s.name, "x");
    EXPECT_EQ(s.repetitions, 2);
    EXPECT_EQ(s.order, Order::grouped);
    EXPECT_EQ(s.warmup, 1s);
    EXPECT_EQ(s.pin, "none");
    EXPECT_EQ(s.run_timeout, 90s);
    EXPECT_EQ(s.delay, 250us);
    EXPECT_EQ(s.work, 1ms);
    EXPECT_EQ(s.wrk.threads, 2);
    EXPECT_EQ(s.wrk.connections, (std::vector<int>{16, 32}));
    EXPECT_EQ(s.wrk.duration, 3s);
    EXPECT_EQ(s.wrk.timeout, 2s);
    EXPECT_EQ(s.wrk.headers, std::vector<std::string>{"Host: example"});
    EXPECT_EQ(s.wrk.path, "/hello");
}

struct BadCase {
    const char* label;
    std::string text;
    const char* key;      // the message names this key
    const char* expected; // ... and says this was expected
};

const std::string servers = "\n[[server]]\nmodel = \"threadpool\"\n";

const BadCase bad_cases[] = {
    {"not toml", "description = \n", "test.toml:", "test.toml"},
    {"no description", servers, "description", "required"},
    {"unknown top-level key", "description = \"d\"\nrepetition = 3\n" + servers, "repetition", "known keys"},
    {"no server", "description = \"d\"\n", "server", "at least one"},
    {"unknown model", "description = \"d\"\n[[server]]\nmodel = \"nginx\"\n", "server[0].model", "prefork-epoll"},
    {"server owns --listen", "description = \"d\"\n[[server]]\nmodel = \"threadpool\"\nflags = [\"--listen\", \"x\"]\n",
     "server[0].flags", "--listen"},
    {"server sets the delay", "description = \"d\"\n[[server]]\nmodel = \"threadpool\"\nflags = [\"--delay=5ms\"]\n",
     "server[0].flags", "[handler]"},
    {"duplicate label", "description = \"d\"" + servers + servers, "server[1].label", "unique"},
    {"bad duration", "description = \"d\"\n[handler]\ndelay = \"fast\"\n" + servers, "handler.delay", "duration"},
    {"duration as a number", "description = \"d\"\nwarmup = 5\n" + servers, "warmup", "duration string"},
    {"connections not a number", "description = \"d\"\n[wrk]\nconnections = \"512\"\n" + servers, "wrk.connections",
     "positive integer"},
    {"zero connections", "description = \"d\"\n[wrk]\nconnections = [0]\n" + servers, "wrk.connections", "positive"},
    {"fewer connections than threads", "description = \"d\"\n[wrk]\nthreads = 8\nconnections = 4\n" + servers,
     "wrk.connections", "wrk.threads"},
    {"unknown wrk key", "description = \"d\"\n[wrk]\nconnection = 5\n" + servers, "wrk.connection", "known keys"},
    {"bad order", "description = \"d\"\norder = \"random\"\n" + servers, "order", "interleave"},
    {"bad pin", "description = \"d\"\npin = \"all\"\n" + servers, "pin", "split"},
    {"header without colon", "description = \"d\"\n[wrk]\nheaders = [\"Host\"]\n" + servers, "wrk.headers", "Name: value"},
    {"zero repetitions", "description = \"d\"\nrepetitions = 0\n" + servers, "repetitions", "integer from 1"},
    {"unknown kind", "description = \"d\"\n[[server]]\nkind = \"theirs\"\nmodel = \"threadpool\"\n", "server[0].kind",
     "\"peer\""},
    {"peer without a name", "description = \"d\"\n[[server]]\nkind = \"peer\"\n", "server[0].peer", "required"},
    {"peer with flags", "description = \"d\"\n[[server]]\nkind = \"peer\"\npeer = \"nginx-shared\"\nflags = []\n",
     "server[0].flags", "known keys"},
    {"peer name is a path", "description = \"d\"\n[[server]]\nkind = \"peer\"\npeer = \"../x\"\n", "server[0].peer",
     "a peer name"},
    {"peers cannot burn CPU",
     "description = \"d\"\n[handler]\nwork = \"1ms\"\n[[server]]\nkind = \"peer\"\npeer = \"nginx-shared\"\n",
     "handler.work", "peer"},
};

class BadScenario : public testing::TestWithParam<BadCase> {};

TEST_P(BadScenario, ErrorNamesFileKeyAndExpectation) {
    const BadCase& c = GetParam();
    std::string message = error_of(c.text);
    EXPECT_EQ(lines_of(message).size(), 1u) << "one mistake, one line: " << message;
    EXPECT_NE(message.find("test.toml"), std::string::npos) << message;
    EXPECT_NE(message.find(c.key), std::string::npos) << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Cases, BadScenario, testing::ValuesIn(bad_cases), test_support::ByLabel());

// Several mistakes: one error, a line for each, in the order of the file's
// reading, each line in the form of a single mistake's message.
TEST(Scenario, EveryMistakeIsReportedAtOnceALineEach) {
    const std::string message = error_of("description = \"d\"\n"
                                         "[handler]\ndelay = \"fast\"\n"
                                         "[wrk]\nconnection = 5\n"
                                         "[[server]]\nmodel = \"nginx\"\n");
    const std::vector<std::string> lines = lines_of(message);
    ASSERT_EQ(lines.size(), 3u) << message;
    EXPECT_EQ(lines[0], "test.toml: handler.delay: expected a duration such as \"100ms\" or \"15s\", got \"fast\"");
    EXPECT_EQ(lines[1].rfind("test.toml: wrk.connection: expected one of the known keys (", 0), 0u) << lines[1];
    EXPECT_EQ(lines[2].rfind("test.toml: server[0].model: expected one of prefork-epoll, ", 0), 0u) << lines[2];
    EXPECT_NE(lines[2].find("got \"nginx\""), std::string::npos) << lines[2];
}

TEST(Scenario, OneMistakeIsTheOneLineAlone) {
    EXPECT_EQ(error_of("description = \"d\"\norder = \"random\"\n" + servers),
              "test.toml: order: expected \"interleave\" or \"grouped\"");
}

TEST(Scenario, SyntaxErrorIsTheOneLineAlone) {
    const std::string message = error_of("description = \nrepetition = 0\n" + servers);
    EXPECT_EQ(message.rfind("test.toml:1:", 0), 0u) << message;
    EXPECT_EQ(lines_of(message).size(), 1u) << message;
}

// A check that depends on a bad value is not made with the default in its
// place: each case's message has exactly the lines of these keys.
struct OnlyTheCause {
    const char* label;
    std::string text;
    std::vector<std::string> keys;
};

const OnlyTheCause only_the_cause[] = {
    {"bad threads, not also too few connections",
     "description = \"d\"\n[wrk]\nthreads = 0\nconnections = 2\n" + servers, {"wrk.threads"}},
    {"bad connections, not also fewer than threads",
     "description = \"d\"\n[wrk]\nthreads = 1000\nconnections = \"many\"\n" + servers, {"wrk.connections"}},
    {"bad idle connections, not also batch above them",
     "description = \"d\"\nmode = \"idle-connections\"\n[idle]\nconnections = \"10k\"\nbatch = 20000\n" + servers,
     {"idle.connections"}},
    {"unknown mode, not also its tables", "description = \"d\"\nmode = \"idle\"\n[idle]\nbatch = 5\n" + servers,
     {"mode"}},
    {"unknown kind, not also its keys", "description = \"d\"\n[[server]]\nkind = \"peers\"\npeer = \"nginx\"\n",
     {"server[0].kind"}},
    {"kind not a string, not also its keys", "description = \"d\"\n[[server]]\nkind = 1\npeer = \"nginx\"\n",
     {"server[0].kind"}},
    {"no models, not also the same empty label",
     "description = \"d\"\n[[server]]\nflags = []\n[[server]]\nflags = []\n", {"server[0].model", "server[1].model"}},
    {"the same line once", "description = \"d\"\n[wrk]\nheaders = [\"Host\", \"Accept\"]\n" + servers, {"wrk.headers"}},
    {"independent keys of one server", "description = \"d\"\n[[server]]\nmodel = \"nginx\"\nflags = [\"--stats\"]\n",
     {"server[0].model", "server[0].flags"}},
};

class OnlyTheCauseIsReported : public testing::TestWithParam<OnlyTheCause> {};

TEST_P(OnlyTheCauseIsReported, ALinePerKey) {
    const std::string message = error_of(GetParam().text);
    const std::vector<std::string> lines = lines_of(message);
    ASSERT_EQ(lines.size(), GetParam().keys.size()) << message;
    for (std::size_t i = 0; i < lines.size(); ++i)
        EXPECT_EQ(lines[i].rfind("test.toml: " + GetParam().keys[i] + ": expected ", 0), 0u) << lines[i];
}

INSTANTIATE_TEST_SUITE_P(Cases, OnlyTheCauseIsReported, testing::ValuesIn(only_the_cause), test_support::ByLabel());

TEST(Scenario, PeersAreServersOfTheirOwnKind) {
    Scenario s = parse_scenario("description = \"d\"\n[[server]]\nmodel = \"threadpool\"\n"
                                "[[server]]\nkind = \"peer\"\npeer = \"fasthttp-prefork\"\n"
                                "[[server]]\nkind = \"peer\"\npeer = \"nginx-shared\"\nlabel = \"nginx\"\n",
                                "test.toml");
    ASSERT_EQ(s.servers.size(), 3u);
    EXPECT_EQ(s.servers[0].kind, ServerKind::ours);
    EXPECT_EQ(s.servers[1].kind, ServerKind::peer);
    EXPECT_EQ(s.servers[1].model, "fasthttp-prefork");
    EXPECT_EQ(s.servers[1].label, "fasthttp-prefork") << "the label defaults to the peer's name";
    EXPECT_EQ(s.servers[2].label, "nginx");
    EXPECT_TRUE(s.has_peers());
}

TEST(Scenario, MissingFileIsAnError) {
    EXPECT_THROW(load_scenario("/nonexistent/scenario.toml"), ScenarioError);
}

// The committed scenario files must always load.
TEST(Scenario, CommittedScenariosLoad) {
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(PREFORK_BENCH_SOURCE_DIR "/scenarios")) {
        if (entry.path().extension() != ".toml") continue;
        SCOPED_TRACE(entry.path().string());
        Scenario s = load_scenario(entry.path());
        EXPECT_FALSE(s.description.empty());
        EXPECT_EQ(s.name, entry.path().stem().string()) << "name and file name differ";
        ++count;
    }
    EXPECT_GE(count, 6);
}

TEST(Scenario, ModelBinariesLiveInTheBuildTree) {
    EXPECT_EQ(model_binary("/b", "prefork-epoll"), "/b/servers/prefork_epoll/prefork-epoll");
    EXPECT_EQ(model_binary("/b", "accept-mutex-fork"), "/b/servers/accept_mutex_fork/accept-mutex-fork");
}

// [wrk] pipeline: requests per write, 1 (none) unless the file says otherwise.
TEST(Scenario, PipelineIsOneUnlessSet) {
    EXPECT_EQ(parse(minimal).wrk.pipeline, 1);
    EXPECT_EQ(parse("description = \"d\"\n[wrk]\nconnections = 8\n" + servers).wrk.pipeline, 1);
}

TEST(Scenario, PipelineIsRead) {
    EXPECT_EQ(parse("description = \"d\"\n[wrk]\npipeline = 16\n" + servers).wrk.pipeline, 16);
    EXPECT_EQ(parse("description = \"d\"\n[wrk]\npipeline = 1\n" + servers).wrk.pipeline, 1);
    EXPECT_EQ(parse("description = \"d\"\n[wrk]\npipeline = 1024\n" + servers).wrk.pipeline, 1024);
}

const BadCase bad_pipelines[] = {
    {"zero", "description = \"d\"\n[wrk]\npipeline = 0\n" + servers, "wrk.pipeline", "integer from 1 to 1024"},
    {"negative", "description = \"d\"\n[wrk]\npipeline = -4\n" + servers, "wrk.pipeline", "integer from 1 to 1024"},
    {"above 1024", "description = \"d\"\n[wrk]\npipeline = 1025\n" + servers, "wrk.pipeline",
     "integer from 1 to 1024"},
    {"a string", "description = \"d\"\n[wrk]\npipeline = \"16\"\n" + servers, "wrk.pipeline",
     "integer from 1 to 1024"},
    {"a fraction", "description = \"d\"\n[wrk]\npipeline = 2.5\n" + servers, "wrk.pipeline",
     "integer from 1 to 1024"},
    {"a whole float", "description = \"d\"\n[wrk]\npipeline = 16.0\n" + servers, "wrk.pipeline",
     "integer from 1 to 1024"},
    {"a boolean", "description = \"d\"\n[wrk]\npipeline = true\n" + servers, "wrk.pipeline",
     "integer from 1 to 1024"},
    {"outside [wrk]", "description = \"d\"\npipeline = 16\n" + servers, "pipeline", "known keys"},
};

class BadPipeline : public testing::TestWithParam<BadCase> {};

TEST_P(BadPipeline, ErrorNamesFileKeyAndExpectation) {
    const BadCase& c = GetParam();
    std::string message = error_of(c.text);
    EXPECT_EQ(lines_of(message).size(), 1u) << "one mistake, one line: " << message;
    EXPECT_NE(message.find("test.toml"), std::string::npos) << message;
    EXPECT_NE(message.find(c.key), std::string::npos) << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Cases, BadPipeline, testing::ValuesIn(bad_pipelines), test_support::ByLabel());

TEST(Scenario, PlaintextPipelinesSixteen) {
    Scenario s = load_scenario(PREFORK_BENCH_SOURCE_DIR "/scenarios/plaintext.toml");
    EXPECT_EQ(s.wrk.pipeline, 16);
    EXPECT_EQ(s.delay, 0ns);
    EXPECT_EQ(s.wrk.connections, (std::vector<int>{256, 1024}));
    EXPECT_EQ(s.pin, "split");
}

// mode = "idle-connections" and its [idle] table.
TEST(Scenario, ModeIsWrkUnlessSet) {
    EXPECT_EQ(parse(minimal).mode, Mode::wrk);
    EXPECT_EQ(run_connections(parse(minimal)), std::vector<int>{512});
    EXPECT_EQ(parse("description = \"d\"\nmode = \"wrk\"\n" + servers).mode, Mode::wrk);
}

TEST(Scenario, IdleModeGetsTheDocumentedDefaults) {
    Scenario s = parse("description = \"d\"\nmode = \"idle-connections\"\n" + servers);
    EXPECT_EQ(s.mode, Mode::idle_connections);
    EXPECT_EQ(to_string(s.mode), "idle-connections");
    EXPECT_EQ(s.idle.connections, 10'000);
    EXPECT_EQ(s.idle.batch, 100);
    EXPECT_EQ(s.idle.probes, 200);
    EXPECT_EQ(s.idle.settle, 2s);
    EXPECT_EQ(run_connections(s), std::vector<int>{10'000});
    EXPECT_EQ(s.wrk.headers, documented_headers()); // the health check's and the idle requests'
    EXPECT_EQ(effective_run_timeout(s), 2s + 120s);
}

TEST(Scenario, EveryIdleKeyIsRead) {
    Scenario s = parse("description = \"d\"\nmode = \"idle-connections\"\nrun_timeout = \"30s\"\n"
                       "[idle]\nconnections = 300\nbatch = 50\nprobes = 10\nsettle = \"250ms\"\n" + servers);
    EXPECT_EQ(s.idle.connections, 300);
    EXPECT_EQ(s.idle.batch, 50);
    EXPECT_EQ(s.idle.probes, 10);
    EXPECT_EQ(s.idle.settle, 250ms);
    EXPECT_EQ(run_connections(s), std::vector<int>{300});
    EXPECT_EQ(effective_run_timeout(s), 30s);
}

TEST(Scenario, IdleBatchDefaultsToAtMostTheConnections) {
    Scenario s = parse("description = \"d\"\nmode = \"idle-connections\"\n[idle]\nconnections = 40\n" + servers);
    EXPECT_EQ(s.idle.batch, 40);
    EXPECT_EQ(parse("description = \"d\"\nmode = \"idle-connections\"\n[idle]\nsettle = \"0\"\n" + servers).idle.settle,
              0ns);
}

const std::string idle_mode = "description = \"d\"\nmode = \"idle-connections\"\n";

const BadCase bad_idle_cases[] = {
    {"unknown mode", "description = \"d\"\nmode = \"idle\"\n" + servers, "mode", "\"idle-connections\""},
    {"mode not a string", "description = \"d\"\nmode = 1\n" + servers, "mode", "a string"},
    {"idle table in wrk mode", "description = \"d\"\n[idle]\nconnections = 10\n" + servers, "idle",
     "mode = \"idle-connections\""},
    {"wrk table in idle mode", idle_mode + "[wrk]\nconnections = 10\n" + servers, "wrk", "idle-connections"},
    {"warmup in idle mode", idle_mode + "warmup = \"1s\"\n" + servers, "warmup", "idle-connections"},
    {"idle not a table", idle_mode + "idle = 5\n" + servers, "idle", "a table"},
    {"unknown idle key", idle_mode + "[idle]\nconnection = 5\n" + servers, "idle.connection", "known keys"},
    {"zero connections", idle_mode + "[idle]\nconnections = 0\n" + servers, "idle.connections", "integer from 1"},
    {"connections as text", idle_mode + "[idle]\nconnections = \"10k\"\n" + servers, "idle.connections",
     "integer from 1"},
    {"batch above connections", idle_mode + "[idle]\nconnections = 10\nbatch = 11\n" + servers, "idle.batch",
     "idle.connections (10)"},
    {"zero batch", idle_mode + "[idle]\nbatch = 0\n" + servers, "idle.batch", "integer from 1"},
    {"zero probes", idle_mode + "[idle]\nprobes = 0\n" + servers, "idle.probes", "integer from 1"},
    {"settle not a duration", idle_mode + "[idle]\nsettle = \"soon\"\n" + servers, "idle.settle", "duration"},
    {"settle as a number", idle_mode + "[idle]\nsettle = 2\n" + servers, "idle.settle", "duration string"},
};

INSTANTIATE_TEST_SUITE_P(Idle, BadScenario, testing::ValuesIn(bad_idle_cases), test_support::ByLabel());

} // namespace
} // namespace pb::harness
