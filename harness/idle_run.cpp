#include "idle_run.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>
#include <thread>

#include "common/file_text.hpp"
#include "common/units.hpp"
#include "measure/idle_connections.hpp"
#include "measure/memory_usage.hpp"
#include "measure/stats_csv.hpp"
#include "results/metrics.hpp"

namespace pb::harness {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A batch or a probe that takes longer has failed: on loopback an answer
// takes well under a millisecond, the handler's delay aside.
constexpr milliseconds exchange_timeout{10'000};

class IdleRun {
public:
    IdleRun(const RunContext& context, LaunchedServer& server)
        : context_(context), server_(server), deadline_(Clock::now() + effective_run_timeout(*context.scenario)) {}

    // Ctrl-C or the run timeout end the run between steps.
    void check(const char* during) const {
        if (context_.interrupted != nullptr && context_.interrupted->load())
            throw std::runtime_error(fmt::format("interrupted while {}", during));
        if (Clock::now() >= deadline_)
            throw std::runtime_error(fmt::format("run timeout ({}) reached while {}",
                                                 format_duration(effective_run_timeout(*context_.scenario)), during));
    }

    MemoryUsage memory(const char* when) const {
        const MemoryUsage usage = memory_of_tree(server_.pid());
        if (usage.processes == 0) throw std::runtime_error(fmt::format("the server's processes were gone {}", when));
        return usage;
    }

    void settle(std::chrono::nanoseconds how_long) const {
        const auto until = Clock::now() + how_long;
        while (Clock::now() < until) {
            check("letting the server settle");
            std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(50), until - Clock::now()));
        }
    }

private:
    const RunContext& context_;
    LaunchedServer& server_;
    Clock::time_point deadline_;
};

void open_all(const IdleRun& run, const IdleSpec& idle, HeldConnections& connections) {
    for (int opened = 0; opened < idle.connections;) {
        run.check("opening the connections");
        const int count = std::min(idle.batch, idle.connections - opened);
        try {
            connections.open_batch(count, exchange_timeout);
        } catch (const std::exception& error) {
            throw std::runtime_error(fmt::format("opening connections {}-{} of {} ({} held): {}", opened + 1,
                                                 opened + count, idle.connections, connections.held(), error.what()));
        }
        opened += count;
    }
}

// A server that closed held connections would look cheap: a run with any
// dropped before its PSS is read fails.
void require_all_held(HeldConnections& connections, const IdleSpec& idle, const char* when, IdleResult& out) {
    connections.reap_dropped();
    out.dropped = connections.dropped();
    if (connections.dropped() > 0)
        throw std::runtime_error(fmt::format("the server closed {} of the {} held connections {}",
                                             connections.dropped(), idle.connections, when));
}

void write_probes(const std::filesystem::path& file, const std::vector<double>& probe_ms) {
    std::string text = "probe,latency_ms\n";
    for (std::size_t i = 0; i < probe_ms.size(); ++i) text += fmt::format("{},{}\n", i + 1, probe_ms[i]);
    write_file_atomically(file, text);
}

} // namespace

void measure_idle(const RunContext& context, LaunchedServer& server, RunResult& result) {
    const IdleSpec& idle = context.scenario->idle;
    IdleResult& out = result.idle;
    const IdleRun run(context, server);
    const std::optional<std::vector<WorkerRow>> baseline = server.counters_now(milliseconds(3000));
    out.pss_before_bytes = run.memory("before the first connection").pss_bytes;

    HeldConnections connections(server.port(), http_request(documented_headers(), "/"));
    open_all(run, idle, connections);
    run.settle(idle.settle);
    require_all_held(connections, idle, "before their memory was read", out);
    const MemoryUsage held = run.memory("with every connection held");
    require_all_held(connections, idle, "while their memory was read", out);
    out.pss_held_bytes = held.pss_bytes;
    out.server_processes = held.processes;
    out.held = static_cast<int>(connections.held());
    out.measured = true;

    for (int i = 0; i < idle.probes; ++i) {
        run.check("probing");
        try {
            out.probe_ms.push_back(std::chrono::duration<double, std::milli>(connections.probe(exchange_timeout)).count());
        } catch (const std::exception& error) {
            throw std::runtime_error(fmt::format("probe {} of {}: {}", i + 1, idle.probes, error.what()));
        }
    }
    write_probes(context.raw_dir / fmt::format("run-{:03}-idle-probes.csv", result.id), out.probe_ms);
    out.pss_after_bytes = run.memory("after the probes").pss_bytes;
    connections.reap_dropped();
    out.dropped = connections.dropped();
    connections.close_all();

    result.server_killed = server.stop(milliseconds(10'000));
    if (!result.server_killed && baseline) result.workers = subtract(server.final_counters(), *baseline);
}

std::string describe_idle(const IdleSpec& idle) {
    return fmt::format("hold {} keep-alive connections (opened {} at a time, one GET / each with the documented "
                       "headers), settle {}, read the PSS, then {} requests each on a new connection",
                       idle.connections, idle.batch, format_duration(idle.settle), idle.probes);
}

std::string idle_outcome(const RunResult& result) {
    const IdleResult& idle = result.idle;
    const auto bytes = idle.bytes_per_connection();
    auto ms = [&](double p) { return nearest_rank(idle.probe_ms, p).value_or(0.0); };
    return fmt::format("{:.0f} B/connection ({} held, {} processes, PSS {:.1f} -> {:.1f} MiB), new-connection "
                       "probe p50 {:.3f} / p99 {:.3f} / max {:.3f} ms, {} dropped",
                       bytes.value_or(0.0), idle.held, idle.server_processes,
                       static_cast<double>(idle.pss_before_bytes) / (1 << 20),
                       static_cast<double>(idle.pss_held_bytes) / (1 << 20), ms(50), ms(99), ms(100), idle.dropped);
}

} // namespace pb::harness
