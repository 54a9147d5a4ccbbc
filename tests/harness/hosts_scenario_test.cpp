// A scenario's [hosts] table: the SSH URLs it takes, the defaults, and what a
// remote server or remote clients refuse, each mistake a line naming the key.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "scenario/hosts.hpp"
#include "scenario/scenario.hpp"

namespace pb::harness {
namespace {

const std::string ours = "[[server]]\nmodel = \"prefork-epoll\"\n";
const std::string open_load = "[load]\ngenerator = \"open\"\nrates = [100]\nconnections = 8\n";

Scenario parse(const std::string& text, const std::string& servers = ours) {
    return parse_scenario("description = \"d\"\n" + text + servers, "hosts.toml");
}

std::string error_of(const std::string& text, const std::string& servers = ours) {
    try {
        parse(text, servers);
    } catch (const ScenarioError& error) {
        return error.what();
    }
    return "";
}

std::string url_error(const std::string& text) {
    try {
        parse_ssh_url(text);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "";
}

TEST(SshUrl, UserHostAndPort) {
    const SshTarget t = parse_ssh_url("ssh://bench@198.18.0.2:2222");
    EXPECT_EQ(t.user, "bench");
    EXPECT_EQ(t.host, "198.18.0.2");
    EXPECT_EQ(t.port, 2222);
    EXPECT_EQ(t.destination(), "bench@198.18.0.2");
    EXPECT_EQ(t.url(), "ssh://bench@198.18.0.2:2222");
}

TEST(SshUrl, UserAndPortMayBeLeftToSsh) {
    const SshTarget t = parse_ssh_url("ssh://server-1.lab");
    EXPECT_EQ(t.user, "");
    EXPECT_EQ(t.port, 0);
    EXPECT_EQ(t.destination(), "server-1.lab");
    EXPECT_EQ(t.url(), "ssh://server-1.lab");
}

TEST(SshUrl, AnIpv6AddressIsRefusedSayingSo) {
    EXPECT_NE(url_error("ssh://root@[fd00::2]:22").find("an IPv6 address is not supported yet"), std::string::npos);
}

TEST(SshUrl, RefusesWhatSshOrAShellWouldMisread) {
    EXPECT_NE(url_error("root@host").find("no ssh:// at the start"), std::string::npos);
    EXPECT_NE(url_error("ssh://").find("no host"), std::string::npos);
    EXPECT_NE(url_error("ssh://host:0").find("the port must be 1 to 65535"), std::string::npos);
    EXPECT_NE(url_error("ssh://host:99999").find("the port"), std::string::npos);
    EXPECT_NE(url_error("ssh://host:").find("the port"), std::string::npos);
    EXPECT_NE(url_error("ssh://-oProxyCommand=x").find("a host name"), std::string::npos);
    EXPECT_NE(url_error("ssh://a;b").find("a host name"), std::string::npos);
    EXPECT_NE(url_error("ssh://r oot@host").find("a user"), std::string::npos);
    EXPECT_NE(url_error("ssh://host/path").find("no path"), std::string::npos);
}

TEST(HostsScenario, LocalWithoutATable) {
    const Scenario s = parse("");
    EXPECT_FALSE(s.hosts.remote());
    EXPECT_TRUE(s.hosts.server.local());
    ASSERT_EQ(s.hosts.clients.size(), 1u);
    EXPECT_TRUE(s.hosts.clients[0].host.local());
    EXPECT_EQ(s.hosts.client_processes(), 1);
    EXPECT_TRUE(s.hosts.remote_hosts().empty());
}

TEST(HostsScenario, EveryKeyIsRead) {
    const Scenario s = parse(
        "[hosts]\nserver = \"ssh://root@198.18.0.2\"\n"
        "clients = [\"ssh://root@198.18.0.3\", {host = \"ssh://root@198.18.0.4:2200\", processes = 2}, \"local\"]\n"
        "ssh_options = [\"StrictHostKeyChecking=yes\"]\nidentity = \"/keys/client\"\nprepare = \"copy\"\n"
        "build_dir = \"/opt/pb/build\"\n" + open_load);
    EXPECT_TRUE(s.hosts.remote());
    EXPECT_EQ(s.hosts.server.name(), "ssh://root@198.18.0.2");
    ASSERT_EQ(s.hosts.clients.size(), 3u);
    EXPECT_EQ(s.hosts.clients[1].host.name(), "ssh://root@198.18.0.4:2200");
    EXPECT_EQ(s.hosts.clients[1].processes, 2);
    EXPECT_TRUE(s.hosts.clients[2].host.local());
    EXPECT_EQ(s.hosts.client_processes(), 4);
    EXPECT_EQ(s.hosts.ssh_options, std::vector<std::string>{"StrictHostKeyChecking=yes"});
    EXPECT_EQ(s.hosts.identity, "/keys/client");
    EXPECT_EQ(s.hosts.prepare, Prepare::copy);
    EXPECT_EQ(s.hosts.build_dir, "/opt/pb/build");
    // The server first, each host once, never "local".
    ASSERT_EQ(s.hosts.remote_hosts().size(), 3u);
    EXPECT_EQ(s.hosts.remote_hosts()[0].url(), "ssh://root@198.18.0.2");
    EXPECT_EQ(s.hosts.remote_hosts()[2].url(), "ssh://root@198.18.0.4:2200");
}

TEST(HostsScenario, ClientsReachTheServerAtItsHostOrTheAddressGiven) {
    EXPECT_EQ(parse("").hosts.address_for_clients(), "127.0.0.1");
    EXPECT_EQ(parse("[hosts]\nserver = \"ssh://root@198.18.0.2\"\n" + open_load).hosts.address_for_clients(), "198.18.0.2");
    EXPECT_EQ(parse("[hosts]\nserver = \"ssh://s\"\nserver_address = \"10.0.0.2\"\n" + open_load).hosts.address_for_clients(), "10.0.0.2");
    // A local server with remote clients: only the user knows where they reach it.
    EXPECT_NE(error_of("[hosts]\nclients = [\"ssh://b\"]\n[wrk]\nthreads = 1\n").find("hosts.server_address: expected the address"),
              std::string::npos);
}

TEST(HostsScenario, AServerThatIsAlsoAClientIsPreparedOnce) {
    const Scenario s = parse("[hosts]\nserver = \"ssh://a\"\nclients = [\"ssh://a\"]\n" + open_load);
    EXPECT_EQ(s.hosts.remote_hosts().size(), 1u);
}

TEST(HostsScenario, EachMistakeNamesItsKey) {
    const std::string error = error_of(
        "[hosts]\nserver = \"root@a\"\nclients = [\"ssh://b\", \"ssh://b\", 3]\nssh_options = [\"-v\"]\n"
        "prepare = \"scp\"\nbuild_dir = \"build\"\nport = 22\n");
    EXPECT_NE(error.find("hosts.toml: hosts.server: expected \"local\" or ssh://[user@]host[:port] (root@a: no ssh://"),
              std::string::npos) << error;
    EXPECT_NE(error.find("hosts.clients[1]: expected each host once (give ssh://b more processes instead)"),
              std::string::npos) << error;
    EXPECT_NE(error.find("hosts.clients[2]: expected a host"), std::string::npos) << error;
    EXPECT_NE(error.find("hosts.ssh_options: expected ssh -o options"), std::string::npos) << error;
    EXPECT_NE(error.find("hosts.prepare: expected \"check\", \"copy\" or \"build\""), std::string::npos) << error;
    EXPECT_NE(error.find("hosts.build_dir: expected an absolute path"), std::string::npos) << error;
    EXPECT_NE(error.find("hosts.port: expected one of the known keys"), std::string::npos) << error;
}

TEST(HostsScenario, BuildNeedsASourceDirectory) {
    EXPECT_NE(error_of("[hosts]\nserver = \"ssh://a\"\nprepare = \"build\"\n").find("hosts.source_dir: expected a directory"),
              std::string::npos);
    EXPECT_EQ(parse("[hosts]\nserver = \"ssh://a\"\nprepare = \"build\"\nsource_dir = \"/srv/pb\"\n" + open_load).hosts.source_dir,
              "/srv/pb");
}

TEST(HostsScenario, ARemoteServerRunsNoPeerRestartOrKernelSetting) {
    EXPECT_NE(error_of("[hosts]\nserver = \"ssh://a\"\n", "[[server]]\nkind = \"peer\"\npeer = \"nginx\"\n")
                  .find("hosts.server: expected \"local\" with peers (nginx)"),
              std::string::npos);
    EXPECT_NE(error_of("[hosts]\nserver = \"ssh://a\"\n",
                       "[[server]]\nmodel = \"prefork-epoll\"\nrestart = \"kill\"\n")
                  .find("\"local\" with restart (prefork-epoll)"),
              std::string::npos);
    EXPECT_NE(error_of("[hosts]\nserver = \"ssh://a\"\n",
                       "[[server]]\nmodel = \"prefork-epoll\"\nsysctl = {\"net.core.somaxconn\" = \"4096\"}\n")
                  .find("\"local\" with sysctl (prefork-epoll)"),
              std::string::npos);
    // The restarter ticks with the one local client's sampler.
    EXPECT_NE(error_of("[hosts]\nclients = [\"ssh://b\"]\nserver_address = \"198.18.0.1\"\n" + open_load,
                       "[[server]]\nmodel = \"prefork-epoll\"\nrestart = \"kill\"\n")
                  .find("hosts.clients: expected one local client process with restart (prefork-epoll)"),
              std::string::npos);
}

TEST(HostsScenario, ARemoteServerIsLoadedByWrkOrPreforkLoad) {
    EXPECT_EQ(error_of("[hosts]\nserver = \"ssh://a\"\n"), "");
    EXPECT_EQ(error_of("[hosts]\nserver = \"ssh://a\"\n" + open_load), "");
}

TEST(HostsScenario, SeveralClientProcessesArePoisson) {
    EXPECT_NE(error_of("[hosts]\nclients = [{host = \"local\", processes = 2}]\n[load]\ngenerator = \"open\"\n"
                       "rates = [100]\nconnections = 8\narrival = \"uniform\"\n")
                  .find("load.arrival: expected \"poisson\" with several client processes"),
              std::string::npos);
}

TEST(HostsScenario, IdleConnectionsHaveTheHarnessAsTheirOneClient) {
    EXPECT_NE(error_of("mode = \"idle-connections\"\n[hosts]\nclients = [{host = \"local\", processes = 2}]\n")
                  .find("hosts.clients: expected one local client process with mode = \"idle-connections\""),
              std::string::npos);
}

TEST(HostsScenario, SeveralClientsRunWrkOrPreforkLoad) {
    EXPECT_EQ(parse("[hosts]\nclients = [{host = \"local\", processes = 2}]\n[wrk]\nthreads = 1\n").hosts.client_processes(), 2);
    EXPECT_EQ(parse("[hosts]\nclients = [{host = \"local\", processes = 2}]\n" + open_load).hosts.client_processes(), 2);
}

TEST(HostsScenario, EveryClientProcessGetsAConnectionPerThread) {
    EXPECT_NE(error_of("[hosts]\nclients = [{host = \"ssh://b\", processes = 3}]\n[wrk]\nthreads = 4\nconnections = [8]\n")
                  .find("wrk.connections: expected at least 12 (threads 4 × 3 client processes) per run"),
              std::string::npos);
    EXPECT_NE(error_of("[hosts]\nclients = [\"ssh://b\", \"ssh://c\"]\n[load]\ngenerator = \"open\"\nrates = [100]\n"
                       "connections = 1\n")
                  .find("load.connections: expected at least 2 (threads 1 × 2 client processes) per run"),
              std::string::npos);
}

TEST(HostsScenario, IdleConnectionsStayLocal) {
    EXPECT_NE(error_of("mode = \"idle-connections\"\n[hosts]\nserver = \"ssh://a\"\n").find("hosts: expected local hosts only"),
              std::string::npos);
}

} // namespace
} // namespace pb::harness
