#include "scenario_run.hpp"

#include "remote/remote_hosts.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <stdexcept>
#include <unistd.h>

#include "common/cpus.hpp"
#include "common/file_text.hpp"
#include "common/units.hpp"
#include "host/preflight.hpp"
#include "idle_run.hpp"
#include "launch/affinity.hpp"
#include "launch/peer_launcher.hpp"
#include "guard/run_marker.hpp"
#include "machine_claim.hpp"
#include "open_load.hpp"
#include "meta.hpp"
#include "results/results_dir.hpp"
#include "results/results_writer.hpp"
#include "results/summary.hpp"
#include "open_fleet.hpp"
#include "runner.hpp"
#include "scenario/peer_definition.hpp"
#include "scenario/run_plan.hpp"
#include "scenario/scenario.hpp"

namespace pb::harness {
namespace {

using Clock = std::chrono::steady_clock;

std::filesystem::path default_wrk_script() {
    std::filesystem::path in_source = std::filesystem::path(PREFORK_BENCH_SOURCE_DIR) / "harness/wrk/report.lua";
    return std::filesystem::exists(in_source) ? in_source : std::filesystem::path("harness/wrk/report.lua");
}

std::filesystem::path default_peers_dir() {
    std::filesystem::path in_source = std::filesystem::path(PREFORK_BENCH_SOURCE_DIR) / "peers";
    return std::filesystem::exists(in_source) ? in_source : std::filesystem::path("peers");
}

// How a run's load is split over its client processes ([hosts]): the
// command above is the whole run's, as one client would run it.
std::string describe_split(const Scenario& scenario, const PlannedRun& run) {
    const int processes = scenario.hosts.client_processes();
    std::vector<std::string> parts;
    for (const ClientProcess& process : scenario.hosts.client_process_list())
        parts.push_back(fmt::format("{} c={}", process.name,
                                    part_connections(run.connections, part_of(process.index, processes))));
    return fmt::format("split over {} client processes{}: {}", processes,
                       scenario.generator == Generator::open ? " (the rate too, evenly)" : "", fmt::join(parts, ", "));
}

// The scenario's peers, read once; each must exist before any run starts.
std::map<std::string, PeerDefinition> load_peers(const Scenario& scenario, const std::filesystem::path& peers_dir) {
    std::map<std::string, PeerDefinition> peers;
    for (const ServerSpec& server : scenario.servers)
        if (server.kind == ServerKind::peer && !peers.count(server.model))
            peers.emplace(server.model, load_peer(find_peer_file(peers_dir, server.model)));
    return peers;
}

void apply_overrides(const ScenarioOptions& options, Scenario& scenario) {
    if (options.repetitions > 0) scenario.repetitions = options.repetitions;
    if (!options.duration.empty() && scenario.mode == Mode::idle_connections)
        throw std::runtime_error("--duration: an idle-connections scenario runs no wrk, so it has no duration");
    if (!options.duration.empty()) {
        auto duration = pb::parse_duration(options.duration);
        if (!duration || *duration < std::chrono::seconds(1))
            throw std::runtime_error("--duration: expected a duration of at least 1s, got '" + options.duration + "'");
        scenario.wrk.duration = *duration;
        scenario.load.duration = *duration; // the open loop's measured time
        scenario.load.requests = 0;         // which then no longer follows from a request count
    }
    if (options.requests > 0) {
        if (scenario.generator != Generator::open || scenario.load.closed)
            throw std::runtime_error("--requests: only an open-loop scenario ([load] generator = \"open\") has a request count");
        if (!options.duration.empty()) throw std::runtime_error("--requests: either --requests or --duration, not both");
        scenario.load.requests = options.requests;
    }
}

std::string format_eta(std::chrono::seconds left) {
    return fmt::format("{}:{:02}", left.count() / 60, left.count() % 60);
}

void print_plan(const RunContext& context, const std::vector<PlannedRun>& plan) {
    const Scenario& scenario = *context.scenario;
    fmt::print("scenario {} ({}): {} runs, pinning {}\n", scenario.name, scenario.file.string(), plan.size(),
               context.pinning.describe());
    for (const PlannedRun& run : plan) {
        const ServerSpec& server = scenario.servers[run.server];
        const bool peer = server.kind == ServerKind::peer;
        // The pipeline depth reaches report.lua through wrk's environment.
        const std::string pipeline =
            scenario.wrk.pipeline > 1 ? fmt::format("PREFORK_BENCH_PIPELINE={} ", scenario.wrk.pipeline) : "";
        const bool open = scenario.generator == Generator::open;
        fmt::print("run {:>3}: {} c={} rep {}\n  {}: {}{}\n  {}{}{}\n", run.id, server.label, run.connections,
                   run.repetition, peer ? "peer  " : "server", join_command(server_command(context, server)),
                   peer ? "" : " --listen 127.0.0.1:0 --stats FILE", open ? "load:   " : "wrk:    ", pipeline,
                   join_command(open ? load_command(context, server, run, 0, "FILE.json")
                                     : wrk_command(context, run.connections, scenario.wrk.duration, 0)));
        if (uses_fleet(scenario)) fmt::print("  {}\n", describe_split(scenario, run));
    }
}

// An idle-connections scenario has no wrk command: what the harness's own
// client does instead.
void print_idle_plan(const RunContext& context, const std::vector<PlannedRun>& plan) {
    const Scenario& scenario = *context.scenario;
    fmt::print("scenario {} ({}): {} runs, pinning {}\n  idle: {}\n", scenario.name, scenario.file.string(), plan.size(),
               context.pinning.describe(), describe_idle(scenario.idle));
    for (const PlannedRun& run : plan) {
        const ServerSpec& server = scenario.servers[run.server];
        const bool peer = server.kind == ServerKind::peer;
        fmt::print("run {:>3}: {} c={} rep {}\n  {}: {}{}\n", run.id, server.label, run.connections, run.repetition,
                   peer ? "peer  " : "server", join_command(server_command(context, server)),
                   peer ? "" : " --listen 127.0.0.1:0 --stats FILE");
    }
}

// What sampling /proc cost, over every run: the harness's own load on the
// machine it measures.
nlohmann::json sampling_facts(const std::vector<RunResult>& results) {
    SamplingCost total;
    for (const RunResult& run : results) total.add(run.sampling);
    const auto us = [](std::chrono::nanoseconds d) { return std::chrono::duration<double, std::micro>(d).count(); };
    const double samples = total.samples > 0 ? total.samples : 1;
    return {{"samples", total.samples},
            {"interval_ms", sample_interval.count()},
            {"wall_us_mean", us(total.wall_total) / samples},
            {"wall_us_max", us(total.wall_max)},
            {"cpu_us_mean", us(total.cpu_total) / samples},
            {"cpu_us_max", us(total.cpu_max)},
            {"note", "one sample: the server's or wrk's process tree from /proc (and the server's listen queue), on the "
                     "harness's CPUs; wall = elapsed, cpu = the sampling thread's CPU time"}};
}

// At the end of a scenario, also one that fails: on every remote host the
// scenario's directory removed and anything of its runs ended. A host that
// cannot be reached is named; the others are still cleaned.
struct RemoteCleanup {
    RemoteCleanup(const RemoteHosts& of, std::filesystem::path directory, std::string run_marker)
        : hosts(of), dir(std::move(directory)), marker(std::move(run_marker)) {}
    RemoteCleanup(const RemoteCleanup&) = delete;
    RemoteCleanup& operator=(const RemoteCleanup&) = delete;
    ~RemoteCleanup() {
        for (const RemoteHost& host : hosts.all()) {
            try {
                host.session->run({"rm", "-rf", "--", dir.string()});
                const RemoteOutput left = host.session->run(
                    {host.pb_remote().string(), "leftovers", "--marker", marker + ".", "--prefix", "--kill"});
                if (left.exit_status != 0)
                    fmt::print(stderr, "prefork-bench: ended processes the runs left on {}: {}", host.name(), left.out);
            } catch (const std::exception& error) {
                fmt::print(stderr, "prefork-bench: cleaning up {}: {}\n", host.name(), error.what());
            }
        }
    }
    const RemoteHosts& hosts;
    std::filesystem::path dir;
    std::string marker;
};

// meta.json's "hosts": every host of the scenario under its name, "local"
// (this machine, whose facts are meta's "host") among them when it runs a part.
nlohmann::json hosts_meta(const Scenario& scenario, const nlohmann::json& meta, const RemoteHosts& remote) {
    nlohmann::json hosts = remote.meta();
    std::vector<std::string> roles;
    if (scenario.hosts.server.local()) roles.emplace_back("server");
    for (const ClientHost& client : scenario.hosts.clients)
        if (client.host.local()) roles.emplace_back("client");
    if (!roles.empty()) hosts["local"] = {{"roles", roles}, {"facts", meta["host"]}};
    return hosts;
}

} // namespace

std::filesystem::path default_build_dir() {
    std::error_code error;
    auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::filesystem::path("build") : self.parent_path().parent_path();
}

int run_scenario(const ScenarioOptions& options, const std::atomic<bool>& interrupted) {
    Scenario scenario = load_scenario(options.scenario);
    apply_overrides(options, scenario);
    const std::vector<PlannedRun> plan = plan_runs(scenario);

    RunContext context;
    context.scenario = &scenario;
    context.build_dir = options.build_dir.empty() ? default_build_dir() : options.build_dir;
    context.wrk_script = options.wrk_script.empty() ? default_wrk_script() : options.wrk_script;
    context.interrupted = &interrupted;
    auto pin_mode = parse_pin_mode(scenario.pin);
    const std::vector<int> allowed = pb::allowed_cpus();
    context.pinning = plan_pinning(pin_mode.value_or(PinMode::none), allowed);
    context.wrk_cpus = static_cast<int>(context.pinning.wrk_cpus.empty() ? allowed.size() : context.pinning.wrk_cpus.size());
    context.wrk_path = "wrk";
    context.peers = load_peers(scenario, options.peers_dir.empty() ? default_peers_dir() : options.peers_dir);
    context.run_marker = fmt::format("{}={}", run_marker_name, getpid());
    if (options.dry_run) {
        if (scenario.mode == Mode::idle_connections)
            print_idle_plan(context, plan);
        else
            print_plan(context, plan);
        return 0;
    }

    ClaimOptions claim_options;
    claim_options.lock_file = options.lock_file;
    claim_options.wait = !options.no_wait;
    claim_options.leftovers = options.kill_leftovers ? Leftovers::kill : Leftovers::refuse;
    claim_options.holder = fmt::format("prefork-bench PID {} running {}", getpid(), options.scenario.string());
    const MachineClaim claim = claim_machine(claim_options, interrupted);

    const std::vector<int> counts = run_connections(scenario);
    int max_connections = *std::max_element(counts.begin(), counts.end());
    const bool idle = scenario.mode == Mode::idle_connections;
    // wrk on this machine: a client here runs it (client hosts have their own).
    const bool wrk_here = !idle && scenario.generator == Generator::wrk &&
                          std::any_of(scenario.hosts.clients.begin(), scenario.hosts.clients.end(),
                                      [](const ClientHost& client) { return client.host.local(); });
    Preflight preflight = run_preflight(max_connections, wrk_here);
    context.wrk_path = preflight.wrk_path;
    // Idle connections arrive a batch at a time: the batch meets the backlog.
    for (const std::string& warning : preflight_warnings(preflight, idle ? scenario.idle.batch : max_connections))
        fmt::print("warning: {}\n", warning);
    if (scenario.generator == Generator::open && !std::filesystem::exists(context.build_dir / "load" / "prefork-load"))
        throw std::runtime_error("prefork-load not found: " + (context.build_dir / "load" / "prefork-load").string() +
                                 " (`make build` builds it)");
    if (!idle && !std::filesystem::exists(context.wrk_script))
        throw std::runtime_error("wrk script not found: " + context.wrk_script.string());
    for (const auto& [name, peer] : context.peers) check_peer_installed(peer, context.build_dir);

    // Every remote host connected, prepared and measured before the first run.
    std::optional<RemoteHosts> remote;
    std::optional<RemoteCleanup> cleanup; // before `remote` goes, whatever happens
    if (scenario.hosts.remote()) {
        remote.emplace(scenario, context.build_dir, PREFORK_BENCH_SOURCE_DIR);
        context.remote = &*remote;
        context.remote_marker = fmt::format("{}={}.{}", remote_marker_name, hostname(), getpid());
        const std::string others = remote->leftovers(std::string(remote_marker_name) + "=", true, options.kill_leftovers);
        if (!others.empty() && !options.kill_leftovers)
            throw std::runtime_error(fmt::format("processes of another run are on the hosts: {} (--kill-leftovers ends them)", others));
        if (!others.empty()) fmt::print("ended processes of another run: {}\n", others);
        context.remote_dir = fmt::format("/tmp/prefork-bench-{}-{}", hostname(), getpid());
        cleanup.emplace(*remote, context.remote_dir, context.remote_marker);
        for (const RemoteHost& host : remote->all())
            if (host.session->run({"mkdir", "-p", "--", context.remote_dir.string()}).exit_status != 0)
                throw std::runtime_error(fmt::format("{}: cannot create {}", host.name(), context.remote_dir.string()));
    }

    const auto started = std::chrono::system_clock::now();
    const std::filesystem::path dir =
        create_results_dir(options.out / hostname(), utc_stamp(started, "{:%Y%m%dT%H%M%SZ}") + "-" + scenario.name);
    context.raw_dir = dir / "raw";
    std::filesystem::create_directories(context.raw_dir);

    nlohmann::json meta = start_meta(context, preflight, options.scenario, started);
    // After the machine's facts are read (they include the allowed CPUs) and
    // before the first thread: from here on the harness runs beside wrk.
    const std::vector<int> harness_cpus = pin_harness(context.pinning, allowed);
    meta["harness"] = {{"cpus", harness_cpus},
                       {"pinned", !context.pinning.wrk_cpus.empty()},
                       {"pid", getpid()},
                       {"watchdog_pid", claim.watchdog->pid()},
                       {"lock_file", claim.lock_file.string()},
                       {"note", "the harness's threads (samplers, wait loops) run on these CPUs, wrk's when pinned"}};
    if (remote) {
        meta["hosts"] = hosts_meta(scenario, meta, *remote);
        meta["remote_dir"] = context.remote_dir.string(); // on every remote host, removed at the end
    }
    write_json(dir / "meta.json", meta);
    fmt::print("results: {}\n", dir.string());

    std::vector<RunResult> results;
    // Written before the first run too: a run interrupted at once still
    // leaves a complete (empty) results directory and its summary.
    write_runs_csv(dir / "runs.csv", results);
    write_latency_csv(dir / "latency.csv", results);
    write_workers_csv(dir / "workers.csv", results);
    const auto first = Clock::now();
    for (const PlannedRun& planned : plan) {
        if (interrupted) break;
        const ServerSpec& server = scenario.servers[planned.server];
        std::string eta = "?";
        if (!results.empty()) {
            auto per_run = (Clock::now() - first) / results.size();
            eta = format_eta(std::chrono::duration_cast<std::chrono::seconds>(per_run * (plan.size() - results.size())));
        } else {
            auto per_run = idle ? scenario.idle.settle + std::chrono::seconds(5)
                                : scenario.warmup + scenario.wrk.duration + std::chrono::seconds(3);
            eta = format_eta(std::chrono::duration_cast<std::chrono::seconds>(per_run * plan.size()));
        }
        fmt::print("[{}/{}] {} c={} rep {}/{} (ETA {}) ... ", planned.id, plan.size(), server.label,
                   planned.connections, planned.repetition, scenario.repetitions, eta);
        std::fflush(stdout);
        RunResult result = execute_run(context, planned);
        const bool measured = result.status == RunStatus::ok || result.status == RunStatus::suspect;
        const std::string suspect = result.status == RunStatus::suspect ? " (suspect: " + result.reason + ")" : "";
        if (measured && idle)
            fmt::print("{}{}\n", idle_outcome(result), suspect);
        else if (measured && result.generator == "open")
            fmt::print("offered {:.0f} req/s: {:.0f} answered/s, p50 {:.2f} ms, p99 {:.2f} ms{}{}\n", result.open.offered_rate,
                       result.wrk.requests_per_second(), result.wrk.latency_at(50), result.wrk.latency_at(99),
                       result.open.client_bound ? " (client-bound)" : "", suspect);
        else if (measured)
            fmt::print("{:.0f} req/s, p99 {:.1f} ms{}{}\n", result.wrk.requests_per_second(), result.wrk.latency_at(99),
                       result.fleet.wrk_reports.size() > 1
                           ? fmt::format(" (summed over {} wrk; p99 merged, not exact)", result.fleet.wrk_reports.size())
                           : std::string(),
                       suspect);
        else
            fmt::print("{}: {}\n", to_string(result.status), result.reason);
        results.push_back(std::move(result));
        // Rewritten after every run: a crash or Ctrl-C loses nothing finished.
        write_runs_csv(dir / "runs.csv", results);
        write_latency_csv(dir / "latency.csv", results);
        write_latency_clients_csv(dir / "latency-clients.csv", results);
        write_workers_csv(dir / "workers.csv", results);
    }

    cleanup.reset(); // the run files were fetched into raw/: nothing of the scenario stays on a host
    finish_meta(meta, results, interrupted.load(), std::chrono::system_clock::now());
    meta["sampling"] = sampling_facts(results);
    write_json(dir / "meta.json", meta);

    if (const std::optional<std::string> failure = write_summary(dir)) {
        fmt::print(stderr, "prefork-bench: no summary: {}\nresults: {}\n", *failure, dir.string());
        return 1;
    }
    fmt::print("\n{}\nresults: {}\n", pb::read_whole_file(dir / "summary.md").value_or(""), dir.string());

    // A suspect run is not a success: its figures need a second look.
    bool all_ok = results.size() == plan.size() &&
                  std::all_of(results.begin(), results.end(), [](const RunResult& r) { return r.status == RunStatus::ok; });
    return all_ok ? 0 : 1;
}

} // namespace pb::harness
