#include "runner.hpp"

#include "open_load.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "common/wait_status.hpp"
#include "common/cpus.hpp"
#include "common/units.hpp"
#include "idle_run.hpp"
#include "host/kernel_settings.hpp"
#include "launch/health_check.hpp"
#include "launch/worker_restarter.hpp"
#include "measure/listen_queue.hpp"
#include "measure/open_load_report.hpp"
#include "launch/peer_launcher.hpp"
#include "measure/process_usage.hpp"
#include "measure/tree_sampler.hpp"
#include "launch/server_launcher.hpp"
#include "open_fleet.hpp"
#include "wrk_fleet.hpp"
#include "remote/remote_server.hpp"
#include "measure/stats_csv.hpp"
#include "measure/wrk_report.hpp"

namespace pb::harness {
namespace {

using std::chrono::milliseconds;



class Interrupted : public std::runtime_error {
public:
    Interrupted() : std::runtime_error("interrupted") {}
};

struct Files {
    std::filesystem::path stats, server_stdout, server_stderr, peer_dir, warmup_out, wrk_out, wrk_report, wrk_stderr,
        load_report, restarts;
};

Files files_for(const RunContext& context, int id) {
    auto at = [&](const char* what) { return context.raw_dir / fmt::format("run-{:03}-{}", id, what); };
    return {at("stats.csv"),         at("server-stdout.txt"), at("server-stderr.txt"), at("peer"),
            at("warmup-stdout.txt"), at("wrk-stdout.txt"),    at("wrk-report.json"),   at("wrk-stderr.txt"),
            at("load-report.json"),  at("restarts.csv")};
}

std::string run_marker(const RunContext& context, int id) { return fmt::format("{}.{}", context.run_marker, id); }

std::unique_ptr<LaunchedServer> launch(const RunContext& context, const ServerSpec& spec, const Files& files, int id) {
    if (spec.kind == ServerKind::peer) {
        PeerLaunch peer;
        peer.peer = context.peers.at(spec.model);
        peer.placeholders.dir = files.peer_dir;
        peer.placeholders.build_dir = context.build_dir;
        peer.placeholders.delay = context.scenario->delay;
        peer.placeholders.workers = pb::online_cpus();
        peer.cpus = context.pinning.server_cpus;
        peer.stdout_file = files.server_stdout;
        peer.stderr_file = files.server_stderr;
        peer.run_marker = run_marker(context, id);
        peer.interrupted = context.interrupted;
        return std::make_unique<RunningPeer>(std::move(peer));
    }
    const Hosts& hosts = context.scenario->hosts;
    if (!hosts.server.local()) {
        RemoteServerLaunch remote;
        remote.host = &context.remote->at(*hosts.server.ssh);
        remote.argv = server_command(context, spec);
        remote.argv[0] = model_binary(remote.host->prepared.build_dir, spec.model).string();
        remote.remote_stats = context.remote_dir / files.stats.filename();
        remote.local_stats = files.stats;
        remote.stderr_file = files.server_stderr;
        remote.marker = fmt::format("{}.{}", context.remote_marker, id);
        remote.address = hosts.address_for_clients();
        return std::make_unique<RemoteServer>(std::move(remote));
    }
    ServerLaunch ours;
    ours.argv = server_command(context, spec);
    ours.cpus = context.pinning.server_cpus;
    if (hosts.remote_clients()) ours.listen = "0.0.0.0"; // reached from the client hosts
    ours.stats_file = files.stats;
    ours.stderr_file = files.server_stderr;
    ours.run_marker = run_marker(context, id);
    return std::make_unique<RunningServer>(ours);
}

// Runs wrk to the end (or the run timeout, or an interrupt).
void run_wrk(const RunContext& context, ChildProcess& wrk, std::chrono::nanoseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!wrk.wait_for(milliseconds(50))) {
        if (context.interrupted->load()) {
            wrk.kill_group();
            throw Interrupted();
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            wrk.kill_group();
            throw std::runtime_error(fmt::format("wrk did not finish within the run timeout ({})", format_duration(limit)));
        }
    }
    int status = *wrk.wait_status();
    if (status != 0) throw std::runtime_error("wrk " + describe_wait_status(status));
}

ChildSpec wrk_spec(const RunContext& context, int id, std::vector<std::string> argv, const std::filesystem::path& out,
                   const std::filesystem::path& err, const std::filesystem::path& report) {
    ChildSpec spec;
    spec.argv = std::move(argv);
    spec.cpus = context.pinning.wrk_cpus;
    spec.die_with_parent = true;
    spec.stdout_file = out;
    spec.stderr_file = err;
    if (!report.empty()) spec.env.emplace_back("PREFORK_BENCH_REPORT", report.string());
    // report.lua pipelines when this is above 1. Set for every wrk, 1 too, so
    // that a value in the harness's own environment never leaks into a run.
    spec.env.emplace_back("PREFORK_BENCH_PIPELINE", std::to_string(context.scenario->wrk.pipeline));
    // Found by the watchdog and the leftover check like the server.
    const std::string marker = run_marker(context, id);
    if (auto equals = marker.find('='); equals != std::string::npos)
        spec.env.emplace_back(marker.substr(0, equals), marker.substr(equals + 1));
    return spec;
}

// Runs the client of `spec` to its end while the server (and its listen
// queue) and the client are sampled; their usage, the sampling's cost, the
// listen queue and any sampling error go into `result`.
// `also` runs on every tick of the server's sampler after the listen queue
// (the restarts of a run that has them).
void run_sampled(const RunContext& context, LaunchedServer& server, const ChildSpec& spec, const std::string& client,
                 std::chrono::nanoseconds limit, RunResult& result, const std::function<void()>& also = {}) {
    ListenQueueSampler queue(server.port());
    std::function<void()> tick = [&queue] { queue.sample(); };
    if (also) tick = [listen = std::move(tick), also] {
        listen();
        also();
    };
    TreeSampler server_sampler(server.pid(), sample_interval, tick);
    server_sampler.start();
    ChildProcess process(spec);
    TreeSampler client_sampler(process.pid(), sample_interval, {}, TreeSampler::RootGone::ends_the_window);
    client_sampler.start();
    const auto stop_samplers = [&] {
        result.server_usage = server_sampler.stop();
        result.wrk_usage = client_sampler.stop();
        result.sampling.add(server_sampler.cost());
        result.sampling.add(client_sampler.cost());
        // A sample that failed leaves a figure short: the run is kept, marked.
        if (const std::string error = server_sampler.error(); !error.empty()) mark_suspect(result, "sampling the server: " + error);
        if (const std::string error = client_sampler.error(); !error.empty()) mark_suspect(result, "sampling " + client + ": " + error);
    };
    try {
        run_wrk(context, process, limit);
    } catch (...) {
        stop_samplers();
        throw;
    }
    stop_samplers();
    result.listen_queue = queue.queue();
}

// Stops the server and keeps its counters over the measured window.
void stop_and_count(LaunchedServer& server, const std::optional<std::vector<WorkerRow>>& baseline, RunResult& result) {
    result.server_killed = server.stop(std::chrono::duration_cast<milliseconds>(std::chrono::seconds(10)));
    if (!result.server_killed && baseline) result.workers = subtract(server.final_counters(), *baseline);
}

void measure(const RunContext& context, LaunchedServer& server, const Files& files, RunResult& result) {
    const Scenario& scenario = *context.scenario;
    const bool fleet = uses_fleet(scenario);
    if (scenario.warmup > std::chrono::nanoseconds::zero()) {
        if (fleet) {
            warm_up_wrk_fleet(context, server, result);
        } else {
            std::vector<std::string> warmup = wrk_command(context, result.connections, scenario.warmup, server.port());
            ChildProcess wrk(wrk_spec(context, result.id, warmup, files.warmup_out, files.wrk_stderr, {}));
            run_wrk(context, wrk, scenario.warmup + std::chrono::seconds(30));
        }
    }
    const std::optional<std::vector<WorkerRow>> baseline = server.counters_now(milliseconds(3000));
    if (fleet) {
        run_wrk_fleet(context, server, result);
    } else {
        result.wrk_command = wrk_command(context, result.connections, scenario.wrk.duration, server.port());
        run_sampled(context, server, wrk_spec(context, result.id, result.wrk_command, files.wrk_out, files.wrk_stderr, files.wrk_report),
                    "wrk", effective_run_timeout(scenario), result);
        result.wrk = parse_wrk_report(files.wrk_report);
    }
    stop_and_count(server, baseline, result);
}

// The open loop: prefork-load at this run's offered rate, on wrk's CPUs,
// while the server and the generator are sampled as for wrk.
void measure_open(const RunContext& context, LaunchedServer& server, const Files& files, const PlannedRun& planned,
                  RunResult& result) {
    const ServerSpec& spec = context.scenario->servers[planned.server];
    const std::optional<std::vector<WorkerRow>> baseline = server.counters_now(milliseconds(3000));
    result.wrk_command = load_command(context, spec, planned, server.port(), files.load_report);
    std::optional<WorkerRestarter> restarter;
    std::function<void()> restart;
    if (spec.restart_signal != 0) {
        restarter.emplace(server.pid(), spec.restart_signal, spec.restart_every);
        restart = [&restarter] { restarter->tick(); };
    }
    const auto record_restarts = [&] {
        if (!restarter) return;
        result.disturbance.restarts = static_cast<int>(restarter->events().size());
        write_restart_events(files.restarts, restarter->events());
    };
    try {
        if (uses_fleet(*context.scenario)) {
            run_open_fleet(context, server, planned, files.load_report, result);
            if (context.interrupted->load()) throw Interrupted();
        } else {
            run_sampled(context, server, wrk_spec(context, result.id, result.wrk_command, files.wrk_out, files.wrk_stderr, {}),
                        "prefork-load", run_limit(context, spec, planned), result, restart);
        }
    } catch (...) {
        record_restarts();
        if (context.interrupted->load()) throw Interrupted();
        throw;
    }
    record_restarts();
    const OpenLoadReport report = parse_open_load_report(files.load_report);
    result.wrk = report.load;
    result.open.offered_rate = report.offered_rate;
    result.open.lateness_p50_us = report.lateness_p50_us;
    result.open.lateness_p99_us = report.lateness_p99_us;
    result.open.queued = report.queued;
    result.open.wall_s = report.wall_s;
    result.open.client_bound = report.client_bound;
    result.open.client_bound_reason = report.client_bound_reason;
    stop_and_count(server, baseline, result);
}

// A run that failed or was interrupted after its samplers had found
// something wrong keeps what they found too.
void end_run(RunResult& result, RunStatus status, const std::string& reason) {
    const std::string sampled = result.status == RunStatus::suspect ? result.reason : std::string();
    result.status = status;
    result.reason = sampled.empty() ? reason : reason + "; also: " + sampled;
}

} // namespace

RunResult execute_run(const RunContext& context, const PlannedRun& planned) {
    const Scenario& scenario = *context.scenario;
    const ServerSpec& spec = scenario.servers[planned.server];
    RunResult result;
    result.id = planned.id;
    result.server = spec.label;
    result.kind = to_string(spec.kind);
    result.model = spec.model;
    result.flags = fmt::format("{}", fmt::join(spec.flags, " "));
    result.repetition = planned.repetition;
    result.connections = planned.connections;
    result.mode = to_string(scenario.mode);
    result.threads = scenario.mode == Mode::wrk ? scenario.wrk.threads : 0; // no wrk in idle mode
    result.pipeline = scenario.wrk.pipeline;
    result.delay = scenario.delay;
    result.work = scenario.work;
    result.pinning = context.pinning.describe();
    result.generator = to_string(scenario.generator);
    if (scenario.generator == Generator::open) {
        result.threads = scenario.load.threads;
        result.open.offered_rate = offered_rate(context, spec, planned);
        const double capacity = server_capacity(context, spec, planned);
        if (capacity > 0 && !scenario.load.closed) result.open.utilization = result.open.offered_rate / capacity;
        result.open.loop = scenario.load.closed ? "closed" : "open";
        for (const std::string& cost : scenario.load.cost_sets.at(static_cast<std::size_t>(planned.cost_set)).costs)
            result.open.cost += (result.open.cost.empty() ? "" : ";") + cost;
    }
    result.wrk_cpus = context.wrk_cpus;

    if (spec.restart_signal != 0) result.disturbance.restart_signal = signal_name(spec.restart_signal);
    const Files files = files_for(context, planned.id);
    try {
        // Set before the server starts (its listeners see them), put back
        // after it has stopped.
        const KernelSettings settings(spec.sysctl);
        result.disturbance.sysctl = settings.describe();
        std::unique_ptr<LaunchedServer> server = launch(context, spec, files, planned.id);
        result.server_command = server->command();
        try {
            health_check(server->address(), server->port(), scenario.wrk.headers);
            if (scenario.mode == Mode::idle_connections)
                measure_idle(context, *server, result);
            else if (scenario.generator == Generator::open)
                measure_open(context, *server, files, planned, result);
            else
                measure(context, *server, files, result);
        } catch (...) {
            try {
                server->stop(milliseconds(2000));
            } catch (const std::exception&) {
                // the first failure is the one to report
            }
            throw;
        }
    } catch (const Interrupted&) {
        end_run(result, RunStatus::interrupted, "interrupted by a signal (Ctrl-C)");
    } catch (const std::exception& error) {
        // A failure that a Ctrl-C caused (a start cut short) is an interrupt.
        const bool interrupted = context.interrupted != nullptr && context.interrupted->load();
        end_run(result, interrupted ? RunStatus::interrupted : RunStatus::failed,
                interrupted ? fmt::format("interrupted by a signal (Ctrl-C): {}", error.what()) : error.what());
    }
    if (result.server_command.empty()) {
        try {
            result.server_command = server_command(context, spec);
        } catch (const std::exception&) {
            // the failure is already recorded
        }
    }
    return result;
}

} // namespace pb::harness
