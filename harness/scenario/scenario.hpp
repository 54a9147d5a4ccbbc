#pragma once
// A scenario file (scenarios/*.toml) names one question: which servers, with
// which flags, under which wrk load and handler delay, how often and in what
// order. load_scenario() is the only place that reads one.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "scenario/hosts.hpp"

namespace pb::harness {

enum class Order { interleave, grouped };

// Ours are the binaries built here; a peer is a well-known server described
// by a file in peers/ (peer_definition.hpp), measured the same way.
enum class ServerKind { ours, peer };

struct ServerSpec {
    std::string label;               // name in tables and plots, unique in the scenario
    ServerKind kind = ServerKind::ours;
    std::string model;               // ours: prefork-epoll, threadpool, accept-mutex-fork; a peer: its name
    std::vector<std::string> flags;  // ours: extra server flags (never --listen, --stats, --delay, --work)
    // Ours with worker processes: one worker is sent this signal (SIGKILL,
    // SIGTERM) every restart_every while the load runs; 0: none.
    int restart_signal = 0;
    std::chrono::nanoseconds restart_every{std::chrono::seconds(10)};
    // Kernel settings (name as in sysctl(8), value) set before the server
    // starts and put back after it stops.
    std::vector<std::pair<std::string, std::string>> sysctl;
};

std::string to_string(ServerKind kind); // "ours", "peer"

struct WrkSpec {
    int threads = 4;
    std::vector<int> connections{512};
    std::chrono::nanoseconds duration{std::chrono::seconds(15)};
    std::chrono::nanoseconds timeout{std::chrono::seconds(8)};
    std::vector<std::string> headers; // "Name: value"; defaults to the documented command's three
    std::string path = "/";
    int pipeline = 1;                 // requests per write (harness/wrk/report.lua); 1: no pipelining
};

// What a run measures: wrk's load (the default), or the memory of many idle
// keep-alive connections and the latency of a new one while they are held.
enum class Mode { wrk, idle_connections };

std::string to_string(Mode mode); // "wrk", "idle-connections"

// [idle]: mode = "idle-connections" only (harness/idle_run.cpp).
struct IdleSpec {
    int connections = 10'000; // held open at once, each after one answered request
    int batch = 100;          // opened and answered at a time
    int probes = 200;         // requests on new connections, one at a time, while all are held
    // Waited after the last batch before the PSS is read: a server may
    // release pooled buffers on a periodic sweep (250 ms, say).
    std::chrono::nanoseconds settle{std::chrono::seconds(2)};
};

// Which client loads the server in mode wrk: wrk itself (a closed loop at
// saturation, the default) or prefork-load (an open loop at offered rates).
enum class Generator { wrk, open };

std::string to_string(Generator generator); // "wrk", "open"

// The costs every request of a run asks for.
struct CostSet {
    std::vector<std::string> costs;    // "[work=|delay=]DIST" each (load/cost_distribution.hpp); empty: none
    double mean_work_us = 0;           // of the work= cost: what the capacity is computed from
};

// [load] with generator = "open": each offered load is a run (load/ is the
// generator; its flags are these).
struct OpenLoad {
    std::vector<double> rates;         // offered requests/s, or
    std::vector<double> utilization;   // fractions of the capacity: server CPUs (at most its workers) / mean work
    std::string arrival = "poisson";
    std::vector<CostSet> cost_sets{CostSet{}}; // cost: one; costs: a sweep, each set a run of its own
    std::vector<int> connections{64};  // each a run of its own
    int threads = 1;
    bool connect_per_request = false;
    bool closed = false;               // loop = "closed": each connection sends when answered (no rate)
    bool realtime = false;             // the generator's threads under SCHED_FIFO
    std::optional<std::chrono::nanoseconds> spin; // prefork-load --spin; unset: its default
    std::uint64_t seed = 1;
    std::uint64_t requests = 0;        // > 0: each run lasts this many requests at its rate (duration unused)
    std::chrono::nanoseconds duration{std::chrono::seconds(30)};
    std::chrono::nanoseconds warmup{std::chrono::seconds(2)};
    std::chrono::nanoseconds timeout{std::chrono::seconds(8)};

    bool has_costs() const;
    // Offered loads per connection count and cost set: the closed loop has one.
    std::size_t points() const { return closed ? 1 : rates.empty() ? utilization.size() : rates.size(); }
};

struct Scenario {
    Mode mode = Mode::wrk;
    Generator generator = Generator::wrk;
    OpenLoad load;                   // generator open only
    Hosts hosts;                     // [hosts]: where the server and the clients run; local by default
    IdleSpec idle;                   // mode idle_connections only
    std::string name;
    std::string description;
    std::filesystem::path file;
    std::string text;                // the file's content, kept for meta.json
    std::vector<ServerSpec> servers;
    WrkSpec wrk;
    std::chrono::nanoseconds delay{std::chrono::milliseconds(100)};
    std::chrono::nanoseconds work{0};
    std::chrono::nanoseconds warmup{std::chrono::seconds(5)};
    int repetitions = 3;
    Order order = Order::interleave;
    std::string pin = "split";       // "split" or "none"
    std::chrono::nanoseconds run_timeout{0}; // 0: warmup + duration + 60 s

    bool has_peers() const;
};

// The headers of the documented fasthttp command.
std::vector<std::string> documented_headers();

// One line per problem in the file, each naming the file, the key and what
// was expected; a TOML syntax error is the one line alone.
class ScenarioError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

Scenario load_scenario(const std::filesystem::path& file);
Scenario parse_scenario(std::string_view text, const std::filesystem::path& file_for_messages);

// The server models the harness knows, and each one's binary below the build tree.
const std::vector<std::string>& known_models();
std::filesystem::path model_binary(const std::filesystem::path& build_dir, const std::string& model);

std::chrono::nanoseconds effective_run_timeout(const Scenario& scenario);

// The connection counts of the runs: wrk.connections, or in idle mode the
// one idle.connections.
std::vector<int> run_connections(const Scenario& scenario);

} // namespace pb::harness
