#include "scenario/open_load_keys.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <optional>
#include <set>
#include <stdexcept>

#include "load/cost_distribution.hpp"
#include "load/schedule.hpp"

namespace pb::harness {
namespace {

// An array of positive numbers (integers or floats) at `key`; records a
// problem and returns nothing otherwise.
std::vector<double> positive_numbers(const TomlReader& reader, const toml::table& table, std::string_view key,
                                     double limit) {
    std::vector<double> out;
    const toml::array* array = table[key].as_array();
    const auto expected = fmt::format("a non-empty array of numbers above 0 and at most {}", limit);
    if (array == nullptr || array->empty()) {
        reader.fail(key, expected);
        return {};
    }
    for (const toml::node& item : *array) {
        const std::optional<double> value = item.value<double>();
        if (!value || !(*value > 0) || *value > limit) {
            reader.fail(key, expected);
            return {};
        }
        out.push_back(*value);
    }
    return out;
}

// One set of costs ("[work=|delay=]DIST" strings, at most one per target)
// at `key`: a string or an array of them.
CostSet read_cost_set(const TomlReader& reader, const toml::node& node, std::string_view key) {
    CostSet set;
    if (node.is_string()) {
        set.costs.push_back(*node.value<std::string>());
    } else if (const toml::array* array = node.as_array();
               array != nullptr && std::all_of(array->begin(), array->end(), [](const toml::node& n) { return n.is_string(); })) {
        for (const toml::node& item : *array) set.costs.push_back(*item.value<std::string>());
    } else {
        reader.fail(key, "a cost string or an array of them");
        return set;
    }
    std::set<pb::load::CostTarget> targets;
    for (const std::string& cost : set.costs) {
        try {
            const pb::load::CostDistribution parsed = pb::load::parse_cost(cost);
            if (!targets.insert(parsed.target).second) reader.fail(key, "at most one cost per target (work=, delay=)");
            if (parsed.target == pb::load::CostTarget::work) set.mean_work_us = parsed.expected_us();
        } catch (const std::invalid_argument& error) {
            // The generator's own words, without its flag's name.
            std::string what = error.what();
            if (what.rfind("--cost: expected ", 0) == 0) what = what.substr(17);
            reader.fail(key, what);
        }
    }
    return set;
}

// cost: the costs of every run; costs: a sweep, each entry (a cost or an
// array of them) a run of its own.
void read_costs(const TomlReader& reader, const toml::table& table, OpenLoad& load) {
    if (reader.has("cost") && reader.has("costs")) return reader.fail("costs", "either cost or costs (a sweep), not both");
    if (reader.has("cost")) {
        load.cost_sets = {read_cost_set(reader, *table.get("cost"), "cost")};
        return;
    }
    if (!reader.has("costs")) return;
    const toml::array* sweep = table["costs"].as_array();
    if (sweep == nullptr || sweep->empty()) return reader.fail("costs", "a non-empty array of costs");
    load.cost_sets.clear();
    for (const toml::node& item : *sweep) load.cost_sets.push_back(read_cost_set(reader, item, "costs"));
}

} // namespace

// [load]: which generator; for the open loop its offered loads, arrivals,
// costs and connections (the flags of load/'s prefork-load).
void read_load(const TomlReader& reader, const toml::table& table, Scenario& scenario) {
    reader.only({"generator", "loop", "rates", "utilization", "arrival", "cost", "costs", "connections", "threads",
                 "connect_per_request", "realtime", "spin", "seed", "requests", "duration", "warmup", "timeout"});
    const std::string generator = reader.string("generator", "wrk");
    if (generator != "wrk" && generator != "open") return reader.fail("generator", "\"wrk\" or \"open\"");
    if (generator == "wrk") {
        for (const char* key : {"loop", "rates", "utilization", "arrival", "cost", "costs", "connections", "threads",
                                "connect_per_request", "realtime", "spin", "seed", "requests", "duration", "warmup", "timeout"})
            if (reader.has(key)) reader.fail(key, "no such key with generator = \"wrk\" (wrk's are in [wrk])");
        return;
    }
    scenario.generator = Generator::open;
    OpenLoad& load = scenario.load;
    const std::string loop = reader.string("loop", "open");
    if (loop != "open" && loop != "closed") reader.fail("loop", "\"open\" or \"closed\"");
    load.closed = loop == "closed";
    if (load.closed) {
        // Each connection sends when answered: the connections set the load.
        for (const char* key : {"rates", "utilization", "arrival", "requests"})
            if (reader.has(key)) reader.fail(key, "no such key with loop = \"closed\" (the connections set the load)");
    } else if (reader.has("rates") == reader.has("utilization"))
        reader.fail("rates", "either rates (requests/s) or utilization (fractions of the capacity), not both, not neither");
    else if (reader.has("rates"))
        load.rates = positive_numbers(reader, table, "rates", 10'000'000);
    else
        load.utilization = positive_numbers(reader, table, "utilization", 2);
    load.arrival = reader.string("arrival", load.arrival);
    if (!pb::load::parse_arrival(load.arrival)) reader.fail("arrival", "\"poisson\" or \"uniform\"");
    read_costs(reader, table, load);
    if (!load.utilization.empty() && !reader.failed("cost") && !reader.failed("costs"))
        for (const CostSet& set : load.cost_sets)
            if (!(set.mean_work_us > 0))
                reader.fail("utilization", "a work= cost with a mean above 0 in every cost (the capacity is CPUs / "
                                           "mean work); or use rates");
    load.connections = reader.positive_ints("connections", load.connections);
    load.threads = reader.positive_int("threads", load.threads, 1024);
    if (!reader.failed("connections") && !reader.failed("threads"))
        for (int connections : load.connections)
            if (connections < load.threads)
                reader.fail("connections", fmt::format("at least load.threads ({}) per run", load.threads));
    load.connect_per_request = reader.boolean("connect_per_request", load.connect_per_request);
    if (load.closed && load.connect_per_request)
        reader.fail("connect_per_request", "false with loop = \"closed\" (the closed loop keeps its connections)");
    load.realtime = reader.boolean("realtime", load.realtime);
    // A generator that shares CPUs with the server must not spin before each
    // send: "0" sleeps to the send time instead.
    if (reader.has("spin")) load.spin = reader.duration("spin", std::chrono::nanoseconds::zero());
    load.seed = static_cast<std::uint64_t>(reader.positive_int("seed", static_cast<int>(load.seed), 2'000'000'000));
    // A count of requests gives every offered load the same statistical
    // weight (a tail percentile needs a number of requests, not of seconds).
    if (reader.has("requests") && reader.has("duration"))
        reader.fail("requests", "either requests (per run) or duration, not both");
    load.requests = static_cast<std::uint64_t>(reader.positive_int("requests", 0, 100'000'000));
    load.duration = reader.duration("duration", load.duration);
    load.warmup = reader.duration("warmup", load.warmup);
    load.timeout = reader.duration("timeout", load.timeout);
    if (load.duration <= std::chrono::nanoseconds::zero()) reader.fail("duration", "a duration above 0");
    if (load.timeout <= std::chrono::nanoseconds::zero()) reader.fail("timeout", "a duration above 0");
}

} // namespace pb::harness
