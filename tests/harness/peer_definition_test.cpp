// Peer definition files: what they must hold, how they are found, and what
// the built-in placeholders become.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "scenario/peer_definition.hpp"
#include "scenario/scenario.hpp"
#include "support/case_name.hpp"
#include "support/peer_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace pb::harness {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test_support::fixture_peer;
using test_support::peer_fixtures;
using test_support::TempDir;

std::string error_of(const std::string& name, const std::string& text) {
    TempDir temp;
    const fs::path file = temp.path() / (name + ".toml");
    std::ofstream(file) << text;
    try {
        load_peer(file);
    } catch (const PeerError& error) {
        return error.what();
    }
    return "no error";
}

const std::string minimal = "model = \"single\"\ndescription = \"d\"\nprogram = \"/bin/true\"\n";

TEST(PeerDefinition, ReadsEveryKey) {
    const PeerDefinition peer = load_peer(peer_fixtures / "fake" / "ours-as-peer.toml");
    EXPECT_EQ(peer.name, "ours-as-peer");
    EXPECT_EQ(peer.model, "prefork");
    EXPECT_EQ(peer.program, "@build@/servers/prefork_epoll/prefork-epoll");
    EXPECT_EQ(peer.args.size(), 6u);
    EXPECT_EQ(peer.stop_signal, SIGTERM) << "the default";
    ASSERT_EQ(peer.config.size(), 1u);
    EXPECT_EQ(peer.config[0].output, "note.txt");
    EXPECT_EQ(peer.config[0].template_file, peer.file.parent_path() / "note.txt.in");
    EXPECT_EQ(peer.vars.at("greeting"), "port @port@");
    EXPECT_EQ(peer.packages, std::vector<std::string>{"coreutils"});
}

TEST(PeerDefinition, StopSignalByName) {
    TempDir temp;
    std::ofstream(temp.path() / "p.toml") << "name = \"p\"\n" << minimal << "stop_signal = \"QUIT\"\n";
    EXPECT_EQ(load_peer(temp.path() / "p.toml").stop_signal, SIGQUIT);
}

struct BadPeer {
    const char* label;
    std::string text;
    const char* expected; // the message says this
};

const BadPeer bad_peers[] = {
    {"name differs from file", "name = \"other\"\n" + minimal, "the file's name"},
    {"no program", "name = \"p\"\nmodel = \"m\"\ndescription = \"d\"\n", "program"},
    {"unknown key", "name = \"p\"\n" + minimal + "argv = []\n", "known keys"},
    {"bad signal", "name = \"p\"\n" + minimal + "stop_signal = \"SIGTERM\"\n", "without SIG"},
    {"config into a folder", "name = \"p\"\n" + minimal + "[config]\n\"../x.conf\" = \"x.in\"\n", "plain file names"},
    {"vars not strings", "name = \"p\"\n" + minimal + "[vars]\nworkers2 = 2\n", "vars.workers2"},
    {"package with a space", "name = \"p\"\n" + minimal + "packages = [\"nginx; rm\"]\n", "Debian package names"},
    {"not toml", "name = \n", "p.toml:"},
};

class BadPeerFile : public testing::TestWithParam<BadPeer> {};

TEST_P(BadPeerFile, ErrorNamesTheFileAndTheProblem) {
    const std::string message = error_of("p", GetParam().text);
    EXPECT_NE(message.find("p.toml"), std::string::npos) << message;
    EXPECT_NE(message.find(GetParam().expected), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Cases, BadPeerFile, testing::ValuesIn(bad_peers), test_support::ByLabel());

std::vector<std::string> lines_of(const std::string& message) {
    std::vector<std::string> lines;
    std::istringstream in(message);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// As with scenarios: one error, a line per mistake, each naming the file,
// the key and what was expected.
TEST(PeerDefinition, EveryMistakeIsReportedAtOnceALineEach) {
    const std::string message = error_of("p", "name = \"p\"\n" + minimal + "argv = []\nstop_signal = \"SIGTERM\"\n");
    const std::vector<std::string> lines = lines_of(message);
    ASSERT_EQ(lines.size(), 2u) << message;
    EXPECT_NE(lines[0].find("p.toml: argv: expected one of the known keys ("), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("p.toml: stop_signal: expected a signal name without SIG"), std::string::npos) << lines[1];
    EXPECT_NE(lines[1].find("got \"SIGTERM\""), std::string::npos) << lines[1];
}

TEST(PeerDefinition, AMissingNameIsNotAlsoTheWrongName) {
    const std::string message = error_of("p", minimal);
    const std::vector<std::string> lines = lines_of(message);
    ASSERT_EQ(lines.size(), 1u) << message;
    EXPECT_NE(lines[0].find("p.toml: name: expected a string (the key is required)"), std::string::npos) << lines[0];
}

TEST(PeerDefinition, FoundByNameInAnyFolder) {
    EXPECT_EQ(find_peer_file(peer_fixtures, "escapes"), peer_fixtures / "fake" / "escapes.toml");
}

TEST(PeerDefinition, UnknownNameListsTheKnownPeers) {
    try {
        find_peer_file(peer_fixtures, "nginx-reusport");
        FAIL() << "no error";
    } catch (const PeerError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("nginx-reusport"), std::string::npos) << message;
        EXPECT_NE(message.find("ours-as-peer"), std::string::npos) << message;
    }
}

TEST(PeerDefinition, BuiltInPlaceholders) {
    const PeerDefinition peer = fixture_peer("ours-as-peer");
    PeerPlaceholders placeholders{8123, "/tmp/run-7", "/tmp/build", 100ms, 2};
    const TemplateValues values = peer_values(peer, placeholders);
    EXPECT_EQ(values.at("port"), "8123");
    EXPECT_EQ(values.at("dir"), "/tmp/run-7");
    EXPECT_EQ(values.at("build"), "/tmp/build");
    EXPECT_EQ(values.at("peer_dir"), peer.file.parent_path().string());
    EXPECT_EQ(values.at("delay"), "100ms");
    EXPECT_EQ(values.at("delay_s"), "0.1");
    EXPECT_EQ(values.at("delay_ms"), "100");
    EXPECT_EQ(values.at("delay_us"), "100000");
    EXPECT_EQ(values.at("workers"), "2");
    EXPECT_EQ(values.at("greeting"), "port 8123") << "vars may use the built-ins";
    const std::vector<std::string> command = peer_command(peer, values);
    EXPECT_EQ(command.front(), "/tmp/build/servers/prefork_epoll/prefork-epoll");
    EXPECT_EQ(command.at(2), "127.0.0.1:8123");
}

TEST(PeerDefinition, NoDelayIsZeroInEveryForm) {
    const PeerDefinition peer = fixture_peer("ours-as-peer");
    const TemplateValues values = peer_values(peer, PeerPlaceholders{1, "/d", "/b", 0ms, 1});
    EXPECT_EQ(values.at("delay"), "0");
    EXPECT_EQ(values.at("delay_s"), "0");
    EXPECT_EQ(values.at("delay_us"), "0");
}

TEST(PeerDefinition, ConfigIsRenderedIntoTheRunDirectory) {
    TempDir temp;
    const PeerDefinition peer = fixture_peer("ours-as-peer");
    const TemplateValues values = peer_values(peer, PeerPlaceholders{8123, temp.path(), "/b", 250ms, 2});
    const std::vector<fs::path> written = write_peer_config(peer, values);
    ASSERT_EQ(written.size(), 1u);
    std::ifstream in(temp.path() / "note.txt");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "port 8123, delay 0.25 s = 250 ms = 250000 us, 2 workers, in " + temp.path().string() + "\n");
}

// Every peer the committed scenarios name has a definition that loads, and
// every committed definition's templates render.
TEST(PeerDefinition, CommittedPeersLoadAndRender) {
    const fs::path peers_dir = fs::path(PREFORK_BENCH_SOURCE_DIR) / "peers";
    int count = 0;
    TempDir temp;
    for (const std::string& name : known_peers(peers_dir)) {
        SCOPED_TRACE(name);
        const PeerDefinition peer = load_peer(find_peer_file(peers_dir, name));
        const TemplateValues values = peer_values(peer, PeerPlaceholders{8123, temp.path() / name, "/b", 100ms, 2});
        fs::create_directories(temp.path() / name);
        EXPECT_NO_THROW(write_peer_config(peer, values));
        EXPECT_NO_THROW(peer_command(peer, values));
        for (const auto& [variable, value] : peer.env) EXPECT_NO_THROW(render_template(value, values, variable));
        ++count;
    }
    EXPECT_GE(count, 3);
}

TEST(PeerDefinition, EveryPeerOfTheCommittedScenariosExists) {
    const fs::path peers_dir = fs::path(PREFORK_BENCH_SOURCE_DIR) / "peers";
    int peers = 0;
    for (const auto& entry : fs::directory_iterator(PREFORK_BENCH_SOURCE_DIR "/scenarios")) {
        if (entry.path().extension() != ".toml") continue;
        for (const ServerSpec& server : load_scenario(entry.path()).servers) {
            if (server.kind != ServerKind::peer) continue;
            SCOPED_TRACE(entry.path().filename().string() + ": " + server.model);
            EXPECT_NO_THROW(load_peer(find_peer_file(peers_dir, server.model)));
            ++peers;
        }
    }
    EXPECT_GE(peers, 18) << "peers.toml and peers-nodelay.toml name nine peers each";
}

} // namespace
} // namespace pb::harness
