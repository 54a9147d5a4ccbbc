#include "runner.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <memory>
#include <thread>

#include "common/wait_status.hpp"
#include "common/cpus.hpp"
#include "common/units.hpp"
#include "idle_run.hpp"
#include "launch/health_check.hpp"
#include "measure/listen_queue.hpp"
#include "measure/open_load_report.hpp"
#include "launch/peer_launcher.hpp"
#include "measure/process_usage.hpp"
#include "launch/server_launcher.hpp"
#include "measure/stats_csv.hpp"
#include "measure/wrk_report.hpp"

namespace pb::harness {
namespace {

using std::chrono::milliseconds;


// wrk counts whole seconds.
std::string wrk_seconds(std::chrono::nanoseconds duration) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
    return std::to_string(seconds < 1 ? 1 : seconds);
}

class Interrupted : public std::runtime_error {
public:
    Interrupted() : std::runtime_error("interrupted") {}
};

struct Files {
    std::filesystem::path stats, server_stdout, server_stderr, peer_dir, warmup_out, wrk_out, wrk_report, wrk_stderr,
        load_report;
};

Files files_for(const RunContext& context, int id) {
    auto at = [&](const char* what) { return context.raw_dir / fmt::format("run-{:03}-{}", id, what); };
    return {at("stats.csv"),         at("server-stdout.txt"), at("server-stderr.txt"), at("peer"),
            at("warmup-stdout.txt"), at("wrk-stdout.txt"),    at("wrk-report.json"),   at("wrk-stderr.txt"),
            at("load-report.json")};
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
    ServerLaunch ours;
    ours.argv = server_command(context, spec);
    ours.cpus = context.pinning.server_cpus;
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

// The listen-queue sampling of a server's run: every tick, into `queue`.
std::function<void()> sample_listen_queue(const LaunchedServer& server, ListenQueue& queue, std::vector<int>& lengths) {
    return [&server, &queue, &lengths] {
        const std::optional<int> length = listen_queue_length(server.port());
        if (!length) throw std::runtime_error(fmt::format("the listen queue: nothing listened on port {}", server.port()));
        queue.sampled = true;
        queue.max = std::max(queue.max, *length);
        queue.at_end = *length;
        lengths.push_back(*length);
    };
}

void measure(const RunContext& context, LaunchedServer& server, const Files& files, RunResult& result) {
    const Scenario& scenario = *context.scenario;
    if (scenario.warmup > std::chrono::nanoseconds::zero()) {
        std::vector<std::string> warmup = wrk_command(context, result.connections, scenario.warmup, server.port());
        ChildProcess wrk(wrk_spec(context, result.id, warmup, files.warmup_out, files.wrk_stderr, {}));
        run_wrk(context, wrk, scenario.warmup + std::chrono::seconds(30));
    }
    std::optional<std::vector<WorkerRow>> baseline = server.counters_now(milliseconds(3000));

    ListenQueue queue;
    std::vector<int> queue_lengths;
    TreeSampler server_sampler(server.pid(), sample_interval, sample_listen_queue(server, queue, queue_lengths));
    result.wrk_command = wrk_command(context, result.connections, scenario.wrk.duration, server.port());
    server_sampler.start();
    ChildProcess wrk(wrk_spec(context, result.id, result.wrk_command, files.wrk_out, files.wrk_stderr, files.wrk_report));
    TreeSampler wrk_sampler(wrk.pid(), sample_interval, {}, TreeSampler::RootGone::ends_the_window);
    wrk_sampler.start();
    const auto stop_samplers = [&] {
        result.server_usage = server_sampler.stop();
        result.wrk_usage = wrk_sampler.stop();
        result.sampling.add(server_sampler.cost());
        result.sampling.add(wrk_sampler.cost());
        // A sample that failed leaves a figure short: the run is kept, marked.
        if (const std::string error = server_sampler.error(); !error.empty()) mark_suspect(result, "sampling the server: " + error);
        if (const std::string error = wrk_sampler.error(); !error.empty()) mark_suspect(result, "sampling wrk: " + error);
    };
    try {
        run_wrk(context, wrk, effective_run_timeout(scenario));
    } catch (...) {
        stop_samplers();
        throw;
    }
    stop_samplers();
    if (!queue_lengths.empty()) {
        auto middle = queue_lengths.begin() + static_cast<std::ptrdiff_t>(queue_lengths.size() / 2);
        std::nth_element(queue_lengths.begin(), middle, queue_lengths.end());
        queue.median = *middle;
    }
    result.listen_queue = queue;
    result.wrk = parse_wrk_report(files.wrk_report);

    result.server_killed = server.stop(std::chrono::duration_cast<milliseconds>(std::chrono::seconds(10)));
    if (!result.server_killed && baseline) result.workers = subtract(server.final_counters(), *baseline);
}

// A run that failed or was interrupted after its samplers had found
// something wrong keeps what they found too.
void end_run(RunResult& result, RunStatus status, const std::string& reason) {
    const std::string sampled = result.status == RunStatus::suspect ? result.reason : std::string();
    result.status = status;
    result.reason = sampled.empty() ? reason : reason + "; also: " + sampled;
}

// The open loop: prefork-load at this run's offered rate, on wrk's CPUs,
// while the server and the generator are sampled as for wrk.
void measure_open(const RunContext& context, LaunchedServer& server, const Files& files, const PlannedRun& planned,
                  RunResult& result) {
    const ServerSpec& spec = context.scenario->servers[planned.server];
    std::optional<std::vector<WorkerRow>> baseline = server.counters_now(milliseconds(3000));
    ListenQueue queue;
    std::vector<int> queue_lengths;
    TreeSampler server_sampler(server.pid(), sample_interval, sample_listen_queue(server, queue, queue_lengths));
    result.wrk_command = load_command(context, spec, planned, server.port(), files.load_report);
    server_sampler.start();
    ChildSpec load_spec = wrk_spec(context, result.id, result.wrk_command, files.wrk_out, files.wrk_stderr, {});
    ChildProcess load(load_spec);
    TreeSampler load_sampler(load.pid(), sample_interval, {}, TreeSampler::RootGone::ends_the_window);
    load_sampler.start();
    const auto stop_samplers = [&] {
        result.server_usage = server_sampler.stop();
        result.wrk_usage = load_sampler.stop();
        result.sampling.add(server_sampler.cost());
        result.sampling.add(load_sampler.cost());
        if (const std::string error = server_sampler.error(); !error.empty()) mark_suspect(result, "sampling the server: " + error);
        if (const std::string error = load_sampler.error(); !error.empty()) mark_suspect(result, "sampling prefork-load: " + error);
    };
    try {
        run_wrk(context, load, effective_run_timeout(*context.scenario));
    } catch (...) {
        stop_samplers();
        throw;
    }
    stop_samplers();
    result.listen_queue = queue;
    const OpenLoadReport report = parse_open_load_report(files.load_report);
    result.wrk = report.load;
    result.open.offered_rate = report.offered_rate;
    result.open.lateness_p50_us = report.lateness_p50_us;
    result.open.lateness_p99_us = report.lateness_p99_us;
    result.open.queued = report.queued;
    result.open.client_bound = report.client_bound;
    result.open.client_bound_reason = report.client_bound_reason;
    result.server_killed = server.stop(std::chrono::duration_cast<milliseconds>(std::chrono::seconds(10)));
    if (!result.server_killed && baseline) result.workers = subtract(server.final_counters(), *baseline);
}

} // namespace

double server_capacity(const RunContext& context, const ServerSpec& spec) {
    const OpenLoad& load = context.scenario->load;
    if (!(load.mean_work_us > 0)) return 0;
    int workers = pb::online_cpus(); // our servers' default --workers
    for (std::size_t i = 0; i < spec.flags.size(); ++i) {
        if (spec.flags[i] == "--workers" && i + 1 < spec.flags.size()) workers = std::atoi(spec.flags[i + 1].c_str());
        if (spec.flags[i].rfind("--workers=", 0) == 0) workers = std::atoi(spec.flags[i].c_str() + 10);
    }
    const int cpus = context.pinning.server_cpus.empty() ? static_cast<int>(pb::allowed_cpus().size())
                                                         : static_cast<int>(context.pinning.server_cpus.size());
    return std::min(workers, cpus) * 1e6 / load.mean_work_us;
}

double offered_rate(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned) {
    const OpenLoad& load = context.scenario->load;
    const auto point = static_cast<std::size_t>(planned.load_point);
    return load.rates.empty() ? load.utilization.at(point) * server_capacity(context, spec) : load.rates.at(point);
}

std::vector<std::string> load_command(const RunContext& context, const ServerSpec& spec, const PlannedRun& planned,
                                      std::uint16_t port, const std::filesystem::path& json) {
    const Scenario& scenario = *context.scenario;
    const OpenLoad& load = scenario.load;
    std::vector<std::string> command = {(context.build_dir / "load" / "prefork-load").string(),
                                        "--rate", fmt::format("{:.6g}", offered_rate(context, spec, planned)),
                                        "--duration", format_duration(load.duration),
                                        "--warmup", format_duration(load.warmup),
                                        "--connections", std::to_string(load.connections),
                                        "--threads", std::to_string(load.threads),
                                        "--arrival", load.arrival,
                                        "--seed", std::to_string(load.seed),
                                        "--timeout", format_duration(load.timeout),
                                        "--progress", "0",
                                        "--json", json.string()};
    for (const std::string& cost : load.costs) command.insert(command.end(), {"--cost", cost});
    if (load.connect_per_request) command.push_back("--connect-per-request");
    // Each thread on its own CPU of wrk's (the process is pinned to them all).
    if (!context.pinning.wrk_cpus.empty()) command.insert(command.end(), {"--cpus", cpu_list(context.pinning.wrk_cpus)});
    for (const std::string& header : scenario.wrk.headers) command.insert(command.end(), {"-H", header});
    command.push_back(fmt::format("http://127.0.0.1:{}{}", port, scenario.wrk.path));
    return command;
}

std::vector<std::string> server_command(const RunContext& context, const ServerSpec& server) {
    const Scenario& scenario = *context.scenario;
    if (server.kind == ServerKind::peer) {
        const PeerDefinition& peer = context.peers.at(server.model);
        PeerPlaceholders placeholders;
        placeholders.build_dir = context.build_dir;
        placeholders.delay = scenario.delay;
        placeholders.workers = pb::online_cpus();
        TemplateValues values = peer_values(peer, placeholders);
        values["port"] = "@port@";
        values["dir"] = "@dir@";
        return peer_command(peer, values);
    }
    std::vector<std::string> command = {model_binary(context.build_dir, server.model).string(), "--delay",
                                        format_duration(scenario.delay), "--work", format_duration(scenario.work)};
    // Costs travel in the query: our servers read it only when told to.
    if (!scenario.load.costs.empty()) command.push_back("--cost-from-request");
    command.insert(command.end(), server.flags.begin(), server.flags.end());
    return command;
}

std::vector<std::string> wrk_command(const RunContext& context, int connections, std::chrono::nanoseconds duration,
                                     std::uint16_t port) {
    const WrkSpec& wrk = context.scenario->wrk;
    std::vector<std::string> command = {context.wrk_path.string()};
    for (const std::string& header : wrk.headers) command.insert(command.end(), {"-H", header});
    command.insert(command.end(), {"--latency", "-d", wrk_seconds(duration), "-c", std::to_string(connections),
                                   "--timeout", wrk_seconds(wrk.timeout), "-t", std::to_string(wrk.threads), "-s",
                                   context.wrk_script.string(), fmt::format("http://127.0.0.1:{}{}", port, wrk.path)});
    return command;
}

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
        const double capacity = server_capacity(context, spec);
        if (capacity > 0) result.open.utilization = result.open.offered_rate / capacity;
        for (const std::string& cost : scenario.load.costs) result.open.cost += (result.open.cost.empty() ? "" : ";") + cost;
    }
    result.wrk_cpus = context.wrk_cpus;

    const Files files = files_for(context, planned.id);
    try {
        std::unique_ptr<LaunchedServer> server = launch(context, spec, files, planned.id);
        result.server_command = server->command();
        try {
            health_check(server->port(), scenario.wrk.headers);
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
