// prefork-bench: runs a scenario file and writes a results directory.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/cpus.hpp"
#include "launch/affinity.hpp"
#include "scenario/peer_definition.hpp"
#include "launch/peer_launcher.hpp"
#include "common/units.hpp"
#include "host/host_info.hpp"
#include "host/preflight.hpp"
#include "results/results_writer.hpp"
#include "scenario/run_plan.hpp"
#include "runner.hpp"
#include "scenario/scenario.hpp"
#include "common/file_text.hpp"
#include "results/summary.hpp"

namespace {

using namespace pb::harness;
using Clock = std::chrono::steady_clock;

std::atomic<bool> interrupted{false};

void on_stop_signal(int) { interrupted = true; }

void take_stop_signals() {
    struct sigaction action{};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

struct Options {
    std::filesystem::path scenario;
    std::filesystem::path out = "results";
    int repetitions = 0;             // 0: the scenario's
    std::string duration;            // empty: the scenario's
    bool dry_run = false;
    std::filesystem::path build_dir; // empty: the build tree this binary is in
    std::filesystem::path wrk_script;
    std::filesystem::path peers_dir; // empty: the source tree's peers/
};

std::filesystem::path default_build_dir() {
    std::error_code error;
    auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::filesystem::path("build") : self.parent_path().parent_path();
}

std::filesystem::path default_wrk_script() {
    std::filesystem::path in_source = std::filesystem::path(PREFORK_BENCH_SOURCE_DIR) / "harness/wrk/report.lua";
    return std::filesystem::exists(in_source) ? in_source : std::filesystem::path("harness/wrk/report.lua");
}

std::filesystem::path default_peers_dir() {
    std::filesystem::path in_source = std::filesystem::path(PREFORK_BENCH_SOURCE_DIR) / "peers";
    return std::filesystem::exists(in_source) ? in_source : std::filesystem::path("peers");
}

// The scenario's peers, read once; each must exist before any run starts.
std::map<std::string, PeerDefinition> load_peers(const Scenario& scenario, const std::filesystem::path& peers_dir) {
    std::map<std::string, PeerDefinition> peers;
    for (const ServerSpec& server : scenario.servers)
        if (server.kind == ServerKind::peer && !peers.count(server.model))
            peers.emplace(server.model, load_peer(find_peer_file(peers_dir, server.model)));
    return peers;
}

// The Debian version of each package a peer comes from, for meta.json.
std::string package_version(const std::string& package) {
    // The name is checked by load_peer (Debian's characters, no leading '-').
    std::string command = "dpkg-query -W -f='${db:Status-Abbrev} ${Version}\\n' " + package + " 2>/dev/null";
    std::string version;
    if (FILE* pipe = popen(command.c_str(), "r")) {
        char line[256];
        // "ii  1.22.1-9" for an installed package; one line per architecture.
        while (std::fgets(line, sizeof line, pipe))
            if (std::string_view(line).substr(0, 2) == "ii" && version.empty()) {
                version = std::string(line).substr(std::string_view(line).find_first_of(' ', 2));
                version.erase(0, version.find_first_not_of(' '));
                version.erase(version.find_last_not_of("\n ") + 1);
            }
        pclose(pipe);
    }
    return version.empty() ? "not installed" : version;
}

nlohmann::json peer_facts(const std::map<std::string, PeerDefinition>& peers) {
    nlohmann::json facts = nlohmann::json::object();
    for (const auto& [name, peer] : peers) {
        nlohmann::json packages = nlohmann::json::object();
        for (const std::string& package : peer.packages) packages[package] = package_version(package);
        // Relative to the source tree, so that the file names the commit's copy.
        std::filesystem::path file = peer.file.lexically_relative(PREFORK_BENCH_SOURCE_DIR);
        if (file.empty() || *file.begin() == "..") file = peer.file;
        const char* signal = sigabbrev_np(peer.stop_signal);
        facts[name] = {{"file", file.string()}, {"model", peer.model}, {"description", peer.description},
                       {"stop_signal", signal ? std::string("SIG") + signal : std::to_string(peer.stop_signal)},
                       {"packages", packages}};
    }
    return facts;
}

std::string utc_stamp(std::chrono::system_clock::time_point when, const char* format) {
    return fmt::format(fmt::runtime(format), fmt::gmtime(std::chrono::system_clock::to_time_t(when)));
}

std::string hostname() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name[0] ? name : "unknown-host";
}

std::string join_command(const std::vector<std::string>& argv) {
    std::string text;
    for (const std::string& arg : argv) {
        bool plain = arg.find_first_of(" '\"*;$&|<>()") == std::string::npos && !arg.empty();
        std::string quoted = arg;
        if (!plain) {
            quoted = "'";
            for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
            quoted += "'";
        }
        text += (text.empty() ? "" : " ") + quoted;
    }
    return text;
}

void apply_overrides(const Options& options, Scenario& scenario) {
    if (options.repetitions > 0) scenario.repetitions = options.repetitions;
    if (!options.duration.empty()) {
        auto duration = pb::parse_duration(options.duration);
        if (!duration || *duration < std::chrono::seconds(1))
            throw std::runtime_error("--duration: expected a duration of at least 1s, got '" + options.duration + "'");
        scenario.wrk.duration = *duration;
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
        fmt::print("run {:>3}: {} c={} rep {}\n  {}: {}{}\n  wrk:    {}\n", run.id, server.label, run.connections,
                   run.repetition, peer ? "peer  " : "server", join_command(server_command(context, server)),
                   peer ? "" : " --listen 127.0.0.1:0 --stats FILE",
                   join_command(wrk_command(context, run.connections, scenario.wrk.duration, 0)));
    }
}

nlohmann::json run_commands(const std::vector<RunResult>& results) {
    nlohmann::json commands = nlohmann::json::array();
    for (const RunResult& run : results)
        commands.push_back({{"run_id", run.id}, {"server", run.server}, {"server_command", join_command(run.server_command)},
                            {"wrk_command", join_command(run.wrk_command)}});
    return commands;
}

void write_json(const std::filesystem::path& file, const nlohmann::json& value) {
    pb::write_file_atomically(file, value.dump(2) + "\n");
}

int run_scenario(const Options& options) {
    Scenario scenario = load_scenario(options.scenario);
    apply_overrides(options, scenario);
    const std::vector<PlannedRun> plan = plan_runs(scenario);

    RunContext context;
    context.scenario = &scenario;
    context.build_dir = options.build_dir.empty() ? default_build_dir() : options.build_dir;
    context.wrk_script = options.wrk_script.empty() ? default_wrk_script() : options.wrk_script;
    context.interrupted = &interrupted;
    auto pin_mode = parse_pin_mode(scenario.pin);
    context.pinning = plan_pinning(pin_mode.value_or(PinMode::none), pb::allowed_cpus());
    context.wrk_path = "wrk";
    context.peers = load_peers(scenario, options.peers_dir.empty() ? default_peers_dir() : options.peers_dir);
    context.run_marker = fmt::format("PREFORK_BENCH_RUN={}", getpid());
    if (options.dry_run) {
        print_plan(context, plan);
        return 0;
    }

    int max_connections = *std::max_element(scenario.wrk.connections.begin(), scenario.wrk.connections.end());
    Preflight preflight = run_preflight(max_connections);
    context.wrk_path = preflight.wrk_path;
    for (const std::string& warning : preflight_warnings(preflight, max_connections)) fmt::print("warning: {}\n", warning);
    if (!std::filesystem::exists(context.wrk_script))
        throw std::runtime_error("wrk script not found: " + context.wrk_script.string());
    for (const auto& [name, peer] : context.peers) check_peer_installed(peer, context.build_dir);

    const auto started = std::chrono::system_clock::now();
    const std::filesystem::path dir =
        options.out / hostname() / (utc_stamp(started, "{:%Y%m%dT%H%M%SZ}") + "-" + scenario.name);
    context.raw_dir = dir / "raw";
    std::filesystem::create_directories(context.raw_dir);

    nlohmann::json meta = {
        {"scenario", {{"name", scenario.name}, {"file", scenario.file.string()}, {"description", scenario.description},
                      {"content", scenario.text}}},
        {"host", host_facts()},
        {"toolchain", toolchain_facts()},
        {"versions", {{"wrk", preflight.wrk_version}}},
        {"git", git_facts(PREFORK_BENCH_SOURCE_DIR)},
        {"pinning", {{"mode", scenario.pin}, {"description", context.pinning.describe()},
                     {"note", "wrk and the server share this machine; with split pinning they run on disjoint CPUs"}}},
        {"peers", peer_facts(context.peers)},
        {"harness_command", join_command({"prefork-bench", "run", options.scenario.string()})},
        {"started_utc", utc_stamp(started, "{:%Y-%m-%dT%H:%M:%SZ}")},
    };
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
            auto per_run = scenario.warmup + scenario.wrk.duration + std::chrono::seconds(3);
            eta = format_eta(std::chrono::duration_cast<std::chrono::seconds>(per_run * plan.size()));
        }
        fmt::print("[{}/{}] {} c={} rep {}/{} (ETA {}) ... ", planned.id, plan.size(), server.label,
                   planned.connections, planned.repetition, scenario.repetitions, eta);
        std::fflush(stdout);
        RunResult result = execute_run(context, planned);
        if (result.status == RunStatus::ok)
            fmt::print("{:.0f} req/s, p99 {:.1f} ms\n", result.wrk.requests_per_second(), result.wrk.latency_at(99));
        else
            fmt::print("{}: {}\n", to_string(result.status), result.reason);
        results.push_back(std::move(result));
        // Rewritten after every run: a crash or Ctrl-C loses nothing finished.
        write_runs_csv(dir / "runs.csv", results);
        write_latency_csv(dir / "latency.csv", results);
        write_workers_csv(dir / "workers.csv", results);
    }

    const auto ended = std::chrono::system_clock::now();
    meta["ended_utc"] = utc_stamp(ended, "{:%Y-%m-%dT%H:%M:%SZ}");
    meta["runs"] = run_commands(results);
    meta["interrupted"] = interrupted.load();
    write_json(dir / "meta.json", meta);

    if (const std::optional<std::string> failure = write_summary(dir)) {
        fmt::print(stderr, "prefork-bench: no summary: {}\nresults: {}\n", *failure, dir.string());
        return 1;
    }
    fmt::print("\n{}\nresults: {}\n", pb::read_whole_file(dir / "summary.md").value_or(""), dir.string());

    bool all_ok = results.size() == plan.size() &&
                  std::all_of(results.begin(), results.end(), [](const RunResult& r) { return r.status == RunStatus::ok; });
    return all_ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"prefork-bench: runs the servers under wrk as a scenario file describes and records the results",
                 "prefork-bench"};
    app.set_version_flag("--version", "prefork-bench " PREFORK_BENCH_VERSION);
    app.require_subcommand(1);
    Options options;
    CLI::App* run = app.add_subcommand("run", "Run a scenario and write results/<host>/<UTC time>-<scenario>/");
    run->add_option("scenario", options.scenario, "Scenario file (scenarios/*.toml)")->required()->check(CLI::ExistingFile);
    run->add_option("--out", options.out, "Results root directory")->capture_default_str();
    run->add_option("--reps", options.repetitions, "Repetitions per server (overrides the scenario)")
        ->check(CLI::Range(1, 1000));
    run->add_option("--duration", options.duration, "Measured wrk duration, e.g. 15s (overrides the scenario)");
    run->add_flag("--dry-run", options.dry_run, "Print the runs and their exact commands; run nothing");
    run->add_option("--build-dir", options.build_dir, "Build tree with the server binaries (default: this binary's)");
    run->add_option("--wrk-script", options.wrk_script, "The Lua report script (default: harness/wrk/report.lua)");
    run->add_option("--peers-dir", options.peers_dir, "Peer definitions, <dir>/*/<name>.toml (default: the source tree's peers/)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) return app.exit(error);
        std::string message = error.what();
        fmt::print(stderr, "prefork-bench: {}\n", message.substr(0, message.find('\n')));
        return 2;
    }
    take_stop_signals();
    try {
        return run_scenario(options);
    } catch (const std::exception& error) {
        fmt::print(stderr, "prefork-bench: {}\n", error.what());
        return 2;
    }
}
