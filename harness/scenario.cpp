#include "scenario.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "core/units.hpp"

namespace pb::harness {
namespace {

// Reads one table of the file, checking each key's type and refusing keys it
// does not know (a typo must not silently fall back to a default).
class Reader {
public:
    Reader(const toml::table& table, std::string prefix, const std::filesystem::path& file)
        : table_(table), prefix_(std::move(prefix)), file_(file) {}

    [[noreturn]] void fail(std::string_view key, std::string_view expected) const {
        throw ScenarioError(fmt::format("{}: {}{}: expected {}", file_.string(), prefix_, key, expected));
    }

    void only(std::initializer_list<std::string_view> keys) const {
        for (auto&& [key, value] : table_) {
            (void)value;
            if (std::find(keys.begin(), keys.end(), key.str()) == keys.end())
                fail(key.str(), fmt::format("one of the known keys ({})", fmt::join(keys, ", ")));
        }
    }

    bool has(std::string_view key) const { return table_.contains(key); }

    std::string string(std::string_view key, std::string fallback) const {
        if (!has(key)) return fallback;
        auto value = table_[key].value<std::string>();
        if (!value) fail(key, "a string");
        return *value;
    }

    std::string required_string(std::string_view key) const {
        if (!has(key)) fail(key, "a string (the key is required)");
        return string(key, "");
    }

    int positive_int(std::string_view key, int fallback, std::int64_t limit = 1'000'000) const {
        if (!has(key)) return fallback;
        auto value = table_[key].value<std::int64_t>();
        if (!value || *value < 1 || *value > limit) fail(key, fmt::format("an integer from 1 to {}", limit));
        return static_cast<int>(*value);
    }

    std::chrono::nanoseconds duration(std::string_view key, std::chrono::nanoseconds fallback) const {
        if (!has(key)) return fallback;
        auto text = table_[key].value<std::string>();
        if (!text) fail(key, "a duration string such as \"100ms\" or \"15s\"");
        auto value = parse_duration(*text);
        if (!value) fail(key, fmt::format("a duration such as \"100ms\" or \"15s\", got \"{}\"", *text));
        return *value;
    }

    std::vector<std::string> strings(std::string_view key) const {
        std::vector<std::string> out;
        if (!has(key)) return out;
        const toml::array* array = table_[key].as_array();
        if (array == nullptr) fail(key, "an array of strings");
        for (const toml::node& item : *array) {
            auto value = item.value<std::string>();
            if (!value) fail(key, "an array of strings");
            out.push_back(*value);
        }
        return out;
    }

    // An integer or an array of them.
    std::vector<int> positive_ints(std::string_view key, std::vector<int> fallback) const {
        if (!has(key)) return fallback;
        const char* expected = "a positive integer or an array of them";
        if (auto single = table_[key].value<std::int64_t>()) {
            if (*single < 1 || *single > 1'000'000) fail(key, expected);
            return {static_cast<int>(*single)};
        }
        const toml::array* array = table_[key].as_array();
        if (array == nullptr || array->empty()) fail(key, expected);
        std::vector<int> out;
        for (const toml::node& item : *array) {
            auto value = item.value<std::int64_t>();
            if (!value || *value < 1 || *value > 1'000'000) fail(key, expected);
            out.push_back(static_cast<int>(*value));
        }
        return out;
    }

    const toml::table* subtable(std::string_view key) const {
        if (!has(key)) return nullptr;
        const toml::table* sub = table_[key].as_table();
        if (sub == nullptr) fail(key, "a table");
        return sub;
    }

private:
    const toml::table& table_;
    std::string prefix_;
    const std::filesystem::path& file_;
};

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

ServerSpec read_server(const toml::table& table, std::size_t index, const std::filesystem::path& file) {
    Reader reader(table, fmt::format("server[{}].", index), file);
    reader.only({"label", "model", "flags"});
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
    reader.only({"threads", "connections", "duration", "timeout", "headers", "path"});
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
}

} // namespace

std::vector<std::string> documented_headers() {
    return {"Host: localhost",
            "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7",
            "Connection: keep-alive"};
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
    return scenario.warmup + scenario.wrk.duration + std::chrono::seconds(60);
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
                 "server"});
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
