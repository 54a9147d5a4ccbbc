#include "scenario/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <fstream>
#include <optional>
#include <csignal>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "common/units.hpp"
#include "scenario/hosts_keys.hpp"
#include "scenario/open_load_keys.hpp"
#include "scenario/problems.hpp"
#include "scenario/toml_reader.hpp"

namespace pb::harness {
namespace {

// The harness owns these flags: they decide the port, the stats file and the
// wait that the Little's-law bound is computed from.
void check_server_flags(const TomlReader& reader, const std::vector<std::string>& flags) {
    static const std::set<std::string> owned = {"--listen", "--stats", "--delay", "--work"};
    for (const std::string& flag : flags) {
        std::string name = flag.substr(0, flag.find('='));
        if (owned.count(name))
            reader.fail("flags", fmt::format("no {} (the harness sets it; use [handler] for delay and work)", name));
    }
}

// A peer is named by its definition file (peers/<family>/<name>.toml); the
// file itself is found and read when the scenario runs.
ServerSpec read_peer(const TomlReader& reader) {
    reader.only({"label", "kind", "peer"});
    ServerSpec server;
    server.kind = ServerKind::peer;
    if (std::optional<std::string> peer = reader.required_string("peer")) {
        bool plain = !peer->empty() && std::all_of(peer->begin(), peer->end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
        });
        if (!plain || peer->front() == '.')
            reader.fail("peer", fmt::format("a peer name (letters, digits, - _ .), got \"{}\"", *peer));
        else
            server.model = *peer;
    }
    server.label = reader.string("label", server.model);
    return server;
}

// restart = "kill" or "term": a worker process of the server gets that
// signal every restart_every (its master replaces it). Only models with
// worker processes have one to signal.
void read_restart(const TomlReader& reader, ServerSpec& server) {
    if (!reader.has("restart")) {
        if (reader.has("restart_every")) reader.fail("restart_every", "a restart key beside it (\"kill\" or \"term\")");
        return;
    }
    const std::string restart = reader.string("restart", "");
    if (restart == "kill")
        server.restart_signal = SIGKILL;
    else if (restart == "term")
        server.restart_signal = SIGTERM;
    else
        reader.fail("restart", "\"kill\" or \"term\"");
    const bool threads = std::find(server.flags.begin(), server.flags.end(), "threads") != server.flags.end() ||
                         std::find(server.flags.begin(), server.flags.end(), "--as=threads") != server.flags.end();
    if (server.model == "threadpool" || threads)
        reader.fail("restart", "a model with worker processes (prefork-epoll, accept-mutex-fork): this one has none");
    server.restart_every = reader.duration("restart_every", server.restart_every);
    if (server.restart_every <= std::chrono::nanoseconds::zero()) reader.fail("restart_every", "a duration above 0");
}

// The model stays empty when it could not be read: its label is then no
// server's name, and read_servers does not compare it.
ServerSpec read_server(const TomlReader& reader) {
    std::string kind = reader.string("kind", "ours");
    // Which keys belong depends on the kind that was meant.
    if (reader.failed("kind")) return {};
    if (kind == "peer") return read_peer(reader);
    if (kind != "ours") {
        reader.fail("kind", fmt::format("\"ours\" or \"peer\", got \"{}\"", kind));
        return {};
    }
    reader.only({"label", "kind", "model", "flags", "restart", "restart_every", "sysctl"});
    ServerSpec server;
    if (std::optional<std::string> model = reader.required_string("model")) {
        const auto& models = known_models();
        if (std::find(models.begin(), models.end(), *model) == models.end())
            reader.fail("model", fmt::format("one of {}, got \"{}\"", fmt::join(models, ", "), *model));
        else
            server.model = *model;
    }
    server.label = reader.string("label", server.model);
    server.flags = reader.strings("flags");
    check_server_flags(reader, server.flags);
    read_restart(reader, server);
    server.sysctl = reader.string_table("sysctl");
    for (const auto& [name, value] : server.sysctl) {
        (void)value;
        if (name.empty() || name.find("..") != std::string::npos || name.find('/') != std::string::npos)
            reader.fail("sysctl", fmt::format("kernel setting names such as \"net.ipv4.tcp_migrate_req\", got \"{}\"", name));
    }
    return server;
}

void read_wrk(const TomlReader& reader, WrkSpec& wrk) {
    reader.only({"threads", "connections", "duration", "timeout", "headers", "path", "pipeline"});
    wrk.threads = reader.positive_int("threads", wrk.threads, 1024);
    wrk.connections = reader.positive_ints("connections", wrk.connections);
    // Compared only when both were read: against a default in place of a bad
    // value the complaint would be about numbers the file does not hold.
    if (!reader.failed("threads") && !reader.failed("connections"))
        for (int c : wrk.connections)
            if (c < wrk.threads)
                reader.fail("connections", fmt::format("at least wrk.threads ({}) per run", wrk.threads));
    wrk.duration = reader.duration("duration", wrk.duration);
    if (wrk.duration < std::chrono::seconds(1)) reader.fail("duration", "at least 1s (wrk counts whole seconds)");
    wrk.timeout = reader.duration("timeout", wrk.timeout);
    if (reader.has("headers")) wrk.headers = reader.strings("headers");
    for (const std::string& header : wrk.headers)
        if (header.find(':') == std::string::npos) reader.fail("headers", "\"Name: value\" strings");
    wrk.path = reader.string("path", wrk.path);
    if (wrk.path.empty() || wrk.path.front() != '/') reader.fail("path", "a path starting with /");
    wrk.pipeline = reader.positive_int("pipeline", wrk.pipeline, 1024);
}

// [idle]: how many connections to hold, how many to open at a time, how many
// new ones to time while they are held, and how long the server may settle.
void read_idle(const TomlReader& reader, IdleSpec& idle) {
    reader.only({"connections", "batch", "probes", "settle"});
    idle.connections = reader.positive_int("connections", idle.connections, 1'000'000);
    idle.batch = reader.positive_int("batch", std::min(idle.batch, idle.connections), 1'000'000);
    // As for wrk.connections: not against a default that stands in for a bad value.
    if (idle.batch > idle.connections && !reader.failed("connections"))
        reader.fail("batch", fmt::format("an integer from 1 to idle.connections ({})", idle.connections));
    idle.probes = reader.positive_int("probes", idle.probes, 100'000);
    idle.settle = reader.duration("settle", idle.settle);
}

// mode = "idle-connections" measures with the harness's own client, not wrk:
// wrk's table and warmup would be silently ignored, so they are refused. With
// a mode that cannot be read, which tables are wrong is not known: the mode
// stays wrk and they are not checked.
void read_mode(const TomlReader& reader, Scenario& scenario) {
    const std::string mode = reader.string("mode", "wrk");
    if (reader.failed("mode")) return;
    if (mode != "wrk" && mode != "idle-connections") return reader.fail("mode", "\"wrk\" or \"idle-connections\"");
    scenario.mode = mode == "wrk" ? Mode::wrk : Mode::idle_connections;
    if (scenario.mode == Mode::wrk) {
        if (reader.has("idle")) reader.fail("idle", "no [idle] table unless mode = \"idle-connections\"");
        return;
    }
    for (const char* key : {"wrk", "warmup"})
        if (reader.has(key))
            reader.fail(key, "no such key with mode = \"idle-connections\" (its requests are the documented "
                             "command's, sent by the harness, not wrk)");
    if (const toml::table* idle = reader.subtable("idle")) read_idle(reader.nested(*idle, "idle."), scenario.idle);
}

// [[server]] tables, each read on its own.
void read_servers(const TomlReader& reader, const toml::table& root, Scenario& scenario) {
    const toml::array* servers = root["server"].as_array();
    if (servers == nullptr || servers->empty()) return reader.fail("server", "at least one [[server]] table");
    std::set<std::string> labels;
    for (std::size_t i = 0; i < servers->size(); ++i) {
        const toml::table* table = (*servers)[i].as_table();
        if (table == nullptr) {
            reader.fail("server", "[[server]] tables");
            continue;
        }
        const TomlReader server_reader = reader.nested(*table, fmt::format("server[{}].", i));
        ServerSpec server = read_server(server_reader);
        if (!server.model.empty() && !labels.insert(server.label).second)
            server_reader.fail("label", "a label unique in the scenario");
        scenario.servers.push_back(std::move(server));
    }
}

} // namespace

std::vector<std::string> documented_headers() {
    return {"Host: localhost",
            "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7",
            "Connection: keep-alive"};
}

std::string to_string(ServerKind kind) { return kind == ServerKind::peer ? "peer" : "ours"; }

std::string to_string(Mode mode) { return mode == Mode::idle_connections ? "idle-connections" : "wrk"; }

std::string to_string(Generator generator) { return generator == Generator::open ? "open" : "wrk"; }

bool OpenLoad::has_costs() const {
    return std::any_of(cost_sets.begin(), cost_sets.end(), [](const CostSet& set) { return !set.costs.empty(); });
}

bool Scenario::has_peers() const {
    return std::any_of(servers.begin(), servers.end(), [](const ServerSpec& s) { return s.kind == ServerKind::peer; });
}

const std::vector<std::string>& known_models() {
    static const std::vector<std::string> models = {"prefork-epoll", "threadpool", "accept-mutex-fork"};
    return models;
}

std::filesystem::path model_binary(const std::filesystem::path& build_dir, const std::string& model) {
    std::string folder = model;
    std::replace(folder.begin(), folder.end(), '-', '_');
    return build_dir / "servers" / folder / model;
}

std::chrono::nanoseconds effective_run_timeout(const Scenario& scenario) {
    if (scenario.run_timeout > std::chrono::nanoseconds::zero()) return scenario.run_timeout;
    if (scenario.mode == Mode::idle_connections) return scenario.idle.settle + std::chrono::seconds(120);
    if (scenario.generator == Generator::open)
        return scenario.load.warmup + scenario.load.duration + scenario.load.timeout + std::chrono::seconds(60);
    return scenario.warmup + scenario.wrk.duration + std::chrono::seconds(60);
}

std::vector<int> run_connections(const Scenario& scenario) {
    if (scenario.mode == Mode::idle_connections) return {scenario.idle.connections};
    if (scenario.generator == Generator::open) return scenario.load.connections;
    return scenario.wrk.connections;
}

Scenario parse_scenario(std::string_view text, const std::filesystem::path& file) {
    toml::table root;
    try {
        root = toml::parse(text, file.string());
    } catch (const toml::parse_error& error) {
        const auto& where = error.source().begin;
        throw ScenarioError(fmt::format("{}:{}:{}: {}", file.string(), where.line, where.column, error.description()));
    }
    Problems problems;
    TomlReader reader(root, "", file, problems);
    reader.only({"name", "description", "repetitions", "order", "warmup", "pin", "run_timeout", "handler", "wrk",
                 "server", "mode", "idle", "load", "hosts"});
    Scenario scenario;
    scenario.file = file;
    scenario.text = std::string(text);
    scenario.name = reader.string("name", file.stem().string());
    scenario.description = reader.required_string("description").value_or("");
    scenario.repetitions = reader.positive_int("repetitions", scenario.repetitions, 1000);
    std::string order = reader.string("order", "interleave");
    if (order != "interleave" && order != "grouped") reader.fail("order", "\"interleave\" or \"grouped\"");
    scenario.order = order == "grouped" ? Order::grouped : Order::interleave;
    scenario.warmup = reader.duration("warmup", scenario.warmup);
    scenario.pin = reader.string("pin", scenario.pin);
    if (scenario.pin != "split" && scenario.pin != "none") reader.fail("pin", "\"split\" or \"none\"");
    scenario.run_timeout = reader.duration("run_timeout", scenario.run_timeout);
    read_mode(reader, scenario);

    if (const toml::table* handler = reader.subtable("handler")) {
        const TomlReader handler_reader = reader.nested(*handler, "handler.");
        handler_reader.only({"delay", "work"});
        scenario.delay = handler_reader.duration("delay", scenario.delay);
        scenario.work = handler_reader.duration("work", scenario.work);
    }
    scenario.wrk.headers = documented_headers();
    // In idle mode a [wrk] table is itself the problem (read_mode), not its keys.
    if (scenario.mode == Mode::wrk)
        if (const toml::table* wrk = reader.subtable("wrk")) read_wrk(reader.nested(*wrk, "wrk."), scenario.wrk);
    if (const toml::table* load = reader.subtable("load")) {
        if (scenario.mode == Mode::idle_connections)
            reader.fail("load", "no [load] table with mode = \"idle-connections\"");
        else
            read_load(reader.nested(*load, "load."), *load, scenario);
    }
    if (scenario.generator == Generator::open && reader.has("wrk"))
        reader.fail("wrk", "no [wrk] table with load.generator = \"open\" (its keys are in [load])");
    read_servers(reader, root, scenario);
    // The restarter ticks with the sampler of prefork-load's run: a wrk run has none.
    if (scenario.generator != Generator::open)
        for (std::size_t i = 0; i < scenario.servers.size(); ++i)
            if (scenario.servers[i].restart_signal != 0)
                reader.fail(fmt::format("server[{}].restart", i), "a run loaded by prefork-load ([load] generator = \"open\")");
    if (const toml::table* hosts = reader.subtable("hosts")) read_hosts(reader.nested(*hosts, "hosts."), *hosts, scenario.hosts);
    check_hosts(reader, scenario);
    // Costs travel in the query, which only our servers read (--cost-from-request).
    if (scenario.has_peers() && scenario.load.has_costs())
        reader.fail("load.cost", "no costs in a scenario with peers (only our servers take costs from the request)");
    // Peers run their own handler, which can wait but not burn CPU.
    if (scenario.has_peers() && scenario.work > std::chrono::nanoseconds::zero())
        reader.fail("handler.work", "\"0\" in a scenario with peers (a peer's handler cannot burn CPU)");
    problems.throw_if_any<ScenarioError>();
    return scenario;
}

Scenario load_scenario(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw ScenarioError(fmt::format("{}: cannot open the scenario file", file.string()));
    std::stringstream text;
    text << in.rdbuf();
    return parse_scenario(text.str(), file);
}

} // namespace pb::harness
