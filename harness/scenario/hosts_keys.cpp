#include "scenario/hosts_keys.hpp"

#include <fmt/format.h>
#include <set>
#include <stdexcept>

namespace pb::harness {
namespace {

std::optional<HostSpec> host_at(const TomlReader& reader, std::string_view key, const std::string& text) {
    try {
        return parse_host(text);
    } catch (const std::invalid_argument& error) {
        reader.fail(key, error.what());
        return std::nullopt;
    }
}

// clients = ["local", "ssh://a", {host = "ssh://b", processes = 2}]
void read_clients(const TomlReader& reader, const toml::table& table, Hosts& hosts) {
    const toml::array* list = table["clients"].as_array();
    if (list == nullptr || list->empty())
        return reader.fail("clients", "a non-empty array of hosts (\"local\", \"ssh://...\" or {host, processes})");
    hosts.clients.clear();
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const toml::node& item = (*list)[i];
        const std::string key = fmt::format("clients[{}]", i);
        ClientHost client;
        std::optional<HostSpec> host;
        if (const auto text = item.value<std::string>(); text && item.is_string()) {
            host = host_at(reader, key, *text);
        } else if (const toml::table* entry = item.as_table()) {
            const TomlReader entry_reader = reader.nested(*entry, key + ".");
            entry_reader.only({"host", "processes"});
            if (const auto named = entry_reader.required_string("host")) host = host_at(entry_reader, "host", *named);
            client.processes = entry_reader.positive_int("processes", 1, 1024);
        } else {
            reader.fail(key, "a host (\"local\", \"ssh://...\") or a table {host, processes}");
        }
        if (!host) continue;
        client.host = *host;
        if (!seen.insert(client.host.name()).second)
            reader.fail(key, fmt::format("each host once (give {} more processes instead)", client.host.name()));
        hosts.clients.push_back(std::move(client));
    }
}

std::string joined_servers_with(const Scenario& scenario, bool (*has)(const ServerSpec&)) {
    std::string out;
    for (const ServerSpec& server : scenario.servers)
        if (has(server)) out += (out.empty() ? "" : ", ") + server.label;
    return out;
}

} // namespace

void read_hosts(const TomlReader& reader, const toml::table& table, Hosts& hosts) {
    reader.only({"server", "clients", "ssh_options", "identity", "prepare", "build_dir", "source_dir", "server_address"});
    if (reader.has("server"))
        if (auto host = host_at(reader, "server", reader.string("server", "local"))) hosts.server = *host;
    if (reader.has("clients")) read_clients(reader, table, hosts);
    hosts.ssh_options = reader.strings("ssh_options");
    for (const std::string& option : hosts.ssh_options)
        if (option.empty() || option.front() == '-' || option.find('=') == std::string::npos)
            reader.fail("ssh_options", "ssh -o options, each \"Name=value\" (no leading '-')");
    hosts.identity = reader.string("identity", "");
    const std::string prepare = reader.string("prepare", "check");
    if (prepare == "check") hosts.prepare = Prepare::check;
    else if (prepare == "copy") hosts.prepare = Prepare::copy;
    else if (prepare == "build") hosts.prepare = Prepare::build;
    else reader.fail("prepare", "\"check\", \"copy\" or \"build\"");
    hosts.build_dir = reader.string("build_dir", "");
    hosts.source_dir = reader.string("source_dir", "");
    hosts.server_address = reader.string("server_address", "");
    if (hosts.server.local() && hosts.remote_clients() && hosts.server_address.empty())
        reader.fail("server_address", "the address remote clients reach this machine at (the server is local)");
    for (const auto& [key, path] : {std::pair{"build_dir", hosts.build_dir}, std::pair{"source_dir", hosts.source_dir}})
        if (!path.empty() && !path.is_absolute()) reader.fail(key, "an absolute path on the hosts");
    if (hosts.prepare == Prepare::build && hosts.source_dir.empty())
        reader.fail("source_dir", "a directory on the hosts for the source with prepare = \"build\"");
    if (hosts.prepare == Prepare::build && !hosts.build_dir.empty())
        reader.fail("build_dir", "no build_dir with prepare = \"build\" (the build is source_dir/build)");
}

void check_hosts(const TomlReader& reader, const Scenario& scenario) {
    const Hosts& hosts = scenario.hosts;
    if (hosts.client_processes() > 1 || hosts.remote_clients()) {
        if (const std::string restarts = joined_servers_with(scenario, [](const ServerSpec& s) { return s.restart_signal != 0; });
            !restarts.empty())
            reader.fail("hosts.clients", fmt::format("one local client process with restart ({})", restarts));
        // Each process's uniform stream starts at the same instant: together they would be bursts.
        if (scenario.generator == Generator::open && hosts.client_processes() > 1 && scenario.load.arrival == "uniform")
            reader.fail("load.arrival", "\"poisson\" with several client processes (uniform streams side by side are bursts)");
    }
    // Every client process needs at least one connection per thread.
    const int processes = hosts.client_processes();
    const bool open = scenario.generator == Generator::open;
    const int threads = open ? scenario.load.threads : scenario.wrk.threads;
    // (One process: [wrk] and [load] check their own.)
    for (const int connections : open ? scenario.load.connections : scenario.wrk.connections)
        if (processes > 1 && connections < processes * threads)
            reader.fail(open ? "load.connections" : "wrk.connections",
                        fmt::format("at least {} (threads {} × {} client processes) per run", processes * threads,
                                    threads, processes));
    if (scenario.mode == Mode::idle_connections && processes > 1)
        reader.fail("hosts.clients", "one local client process with mode = \"idle-connections\" (its client is the harness itself)");
    if (!hosts.remote()) return;
    if (scenario.mode == Mode::idle_connections)
        reader.fail("hosts", "local hosts only with mode = \"idle-connections\" (its client is the harness itself)");
    if (!hosts.server.local()) {
        if (const std::string peers = joined_servers_with(scenario, [](const ServerSpec& s) { return s.kind == ServerKind::peer; });
            !peers.empty())
            reader.fail("hosts.server", fmt::format("\"local\" with peers ({}): peers run on this machine only", peers));
        if (const std::string restarts = joined_servers_with(scenario, [](const ServerSpec& s) { return s.restart_signal != 0; });
            !restarts.empty())
            reader.fail("hosts.server", fmt::format("\"local\" with restart ({}): the restarter signals local workers", restarts));
        if (const std::string sysctl = joined_servers_with(scenario, [](const ServerSpec& s) { return !s.sysctl.empty(); });
            !sysctl.empty())
            reader.fail("hosts.server", fmt::format("\"local\" with sysctl ({}): kernel settings are set on this machine", sysctl));
    }
}

} // namespace pb::harness
