#include "scenario/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "common/units.hpp"
#include "scenario/toml_reader.hpp"

namespace pb::harness {
namespace {

using Reader = TomlReader<ScenarioError>;

// The harness owns these flags: they decide the port, the stats file and the
// wait that the Little's-law bound is computed from.
void check_server_flags(const Reader& reader, const std::vector<std::string>& flags) {
    static const std::set<std::string> owned = {"--listen", "--stats", "--delay", "--work"};
    for (const std::string& flag : flags) {
        std::string name = flag.substr(0, flag.find('='));
        if (owned.count(name))
            reader.fail("flags", fmt::format("no {} (the harness sets it; use [handler] for delay and work)", name));
    }
}

// A peer is named by its definition file (peers/<family>/<name>.toml); the
// file itself is found and read when the scenario runs.
ServerSpec read_peer(const Reader& reader) {
    reader.only({"label", "kind", "peer"});
    ServerSpec server;
    server.kind = ServerKind::peer;
    server.model = reader.required_string("peer");
    bool plain = !server.model.empty() && std::all_of(server.model.begin(), server.model.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (!plain || server.model.front() == '.')
        reader.fail("peer", fmt::format("a peer name (letters, digits, - _ .), got \"{}\"", server.model));
    server.label = reader.string("label", server.model);
    return server;
}

ServerSpec read_server(const toml::table& table, std::size_t index, const std::filesystem::path& file) {
    Reader reader(table, fmt::format("server[{}].", index), file);
    std::string kind = reader.string("kind", "ours");
    if (kind == "peer") return read_peer(reader);
    if (kind != "ours") reader.fail("kind", fmt::format("\"ours\" or \"peer\", got \"{}\"", kind));
    reader.only({"label", "kind", "model", "flags"});
    ServerSpec server;
    server.model = reader.required_string("model");
    const auto& models = known_models();
    if (std::find(models.begin(), models.end(), server.model) == models.end())
        reader.fail("model", fmt::format("one of {}, got \"{}\"", fmt::join(models, ", "), server.model));
    server.label = reader.string("label", server.model);
    server.flags = reader.strings("flags");
    check_server_flags(reader, server.flags);
    return server;
}

void read_wrk(const toml::table& table, WrkSpec& wrk, const std::filesystem::path& file) {
    Reader reader(table, "wrk.", file);
    reader.only({"threads", "connections", "duration", "timeout", "headers", "path", "pipeline"});
    wrk.threads = reader.positive_int("threads", wrk.threads, 1024);
    wrk.connections = reader.positive_ints("connections", wrk.connections);
    for (int c : wrk.connections)
        if (c < wrk.threads) reader.fail("connections", fmt::format("at least wrk.threads ({}) per run", wrk.threads));
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
void read_idle(const toml::table& table, IdleSpec& idle, const std::filesystem::path& file) {
    Reader reader(table, "idle.", file);
    reader.only({"connections", "batch", "probes", "settle"});
    idle.connections = reader.positive_int("connections", idle.connections, 1'000'000);
    idle.batch = reader.positive_int("batch", std::min(idle.batch, idle.connections), 1'000'000);
    if (idle.batch > idle.connections)
        reader.fail("batch", fmt::format("an integer from 1 to idle.connections ({})", idle.connections));
    idle.probes = reader.positive_int("probes", idle.probes, 100'000);
    idle.settle = reader.duration("settle", idle.settle);
}

// mode = "idle-connections" measures with the harness's own client, not wrk:
// wrk's table and warmup would be silently ignored, so they are refused.
void read_mode(const Reader& reader, Scenario& scenario, const std::filesystem::path& file) {
    const std::string mode = reader.string("mode", "wrk");
    if (mode != "wrk" && mode != "idle-connections") reader.fail("mode", "\"wrk\" or \"idle-connections\"");
    scenario.mode = mode == "wrk" ? Mode::wrk : Mode::idle_connections;
    if (scenario.mode == Mode::wrk) {
        if (reader.has("idle")) reader.fail("idle", "no [idle] table unless mode = \"idle-connections\"");
        return;
    }
    for (const char* key : {"wrk", "warmup"})
        if (reader.has(key))
            reader.fail(key, "no such key with mode = \"idle-connections\" (its requests are the documented "
                             "command's, sent by the harness, not wrk)");
    if (const toml::table* idle = reader.subtable("idle")) read_idle(*idle, scenario.idle, file);
}

} // namespace

std::vector<std::string> documented_headers() {
    return {"Host: localhost",
            "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7",
            "Connection: keep-alive"};
}

std::string to_string(ServerKind kind) { return kind == ServerKind::peer ? "peer" : "ours"; }

std::string to_string(Mode mode) { return mode == Mode::idle_connections ? "idle-connections" : "wrk"; }

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
    return scenario.warmup + scenario.wrk.duration + std::chrono::seconds(60);
}

std::vector<int> run_connections(const Scenario& scenario) {
    if (scenario.mode == Mode::idle_connections) return {scenario.idle.connections};
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
    Reader reader(root, "", file);
    reader.only({"name", "description", "repetitions", "order", "warmup", "pin", "run_timeout", "handler", "wrk",
                 "server", "mode", "idle"});
    Scenario scenario;
    scenario.file = file;
    scenario.text = std::string(text);
    scenario.name = reader.string("name", file.stem().string());
    scenario.description = reader.required_string("description");
    scenario.repetitions = reader.positive_int("repetitions", scenario.repetitions, 1000);
    std::string order = reader.string("order", "interleave");
    if (order != "interleave" && order != "grouped") reader.fail("order", "\"interleave\" or \"grouped\"");
    scenario.order = order == "interleave" ? Order::interleave : Order::grouped;
    scenario.warmup = reader.duration("warmup", scenario.warmup);
    scenario.pin = reader.string("pin", scenario.pin);
    if (scenario.pin != "split" && scenario.pin != "none") reader.fail("pin", "\"split\" or \"none\"");
    scenario.run_timeout = reader.duration("run_timeout", scenario.run_timeout);
    read_mode(reader, scenario, file);

    if (const toml::table* handler = reader.subtable("handler")) {
        Reader handler_reader(*handler, "handler.", file);
        handler_reader.only({"delay", "work"});
        scenario.delay = handler_reader.duration("delay", scenario.delay);
        scenario.work = handler_reader.duration("work", scenario.work);
    }
    scenario.wrk.headers = documented_headers();
    if (const toml::table* wrk = reader.subtable("wrk")) read_wrk(*wrk, scenario.wrk, file);

    const toml::array* servers = root["server"].as_array();
    if (servers == nullptr || servers->empty()) reader.fail("server", "at least one [[server]] table");
    std::set<std::string> labels;
    for (std::size_t i = 0; i < servers->size(); ++i) {
        const toml::table* table = (*servers)[i].as_table();
        if (table == nullptr) reader.fail("server", "[[server]] tables");
        ServerSpec server = read_server(*table, i, file);
        if (!labels.insert(server.label).second)
            Reader(*table, fmt::format("server[{}].", i), file).fail("label", "a label unique in the scenario");
        scenario.servers.push_back(std::move(server));
    }
    // Peers run their own handler, which can wait but not burn CPU.
    if (scenario.has_peers() && scenario.work > std::chrono::nanoseconds::zero())
        reader.fail("handler.work", "\"0\" in a scenario with peers (a peer's handler cannot burn CPU)");
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
