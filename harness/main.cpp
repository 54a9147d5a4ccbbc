// prefork-bench: runs a scenario file and writes a results directory.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <exception>
#include <fmt/format.h>
#include <string>

#include "hosts_check.hpp"
#include "scenario_run.hpp"

namespace {

using pb::harness::ScenarioOptions;

std::atomic<bool> interrupted{false};

void on_stop_signal(int) { interrupted = true; }

// Ctrl-C or SIGTERM ends the scenario after the run in progress has been
// stopped and recorded; the servers are in their own process groups, so the
// signal does not reach them.
void take_stop_signals() {
    struct sigaction action{};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"prefork-bench: runs the servers under wrk as a scenario file describes and records the results",
                 "prefork-bench"};
    app.set_version_flag("--version", "prefork-bench " PREFORK_BENCH_VERSION);
    app.require_subcommand(1);
    ScenarioOptions options;
    CLI::App* run = app.add_subcommand("run", "Run a scenario and write results/<host>/<UTC time>-<scenario>/");
    run->add_option("scenario", options.scenario, "Scenario file (scenarios/*.toml)")->required()->check(CLI::ExistingFile);
    run->add_option("--out", options.out, "Results root directory")->capture_default_str();
    run->add_option("--reps", options.repetitions, "Repetitions per server (overrides the scenario)")
        ->check(CLI::Range(1, 1000));
    run->add_option("--duration", options.duration, "Measured wrk duration, e.g. 15s (overrides the scenario)");
    run->add_option("--requests", options.requests,
                    "Open loop: requests per run, the duration following from each offered rate (overrides the scenario)")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
    run->add_flag("--dry-run", options.dry_run, "Print the runs and their exact commands; run nothing");
    run->add_option("--build-dir", options.build_dir, "Build tree with the server binaries (default: this binary's)");
    run->add_option("--wrk-script", options.wrk_script, "The Lua report script (default: harness/wrk/report.lua)");
    run->add_option("--peers-dir", options.peers_dir, "Peer definitions, <dir>/*/<name>.toml (default: the source tree's peers/)");
    run->add_flag("--no-wait", options.no_wait, "Refuse at once when another harness runs on this machine (default: wait for it)");
    run->add_flag("--kill-leftovers", options.kill_leftovers,
                  "End processes an earlier harness left running (default: refuse to start, naming them)");
    run->add_option("--lock", options.lock_file,
                    "The machine's run lock (default: $PREFORK_BENCH_LOCK, else /run/lock/prefork-bench.lock, else /tmp/prefork-bench.lock)");
    pb::harness::HostsCheckOptions hosts_options;
    CLI::App* hosts = app.add_subcommand(
        "hosts", "Connect to, prepare and describe a scenario's remote hosts ([hosts]) as a run would, running nothing");
    hosts->add_option("scenario", hosts_options.scenario, "Scenario file with a [hosts] table")->required()->check(CLI::ExistingFile);
    hosts->add_option("--build-dir", hosts_options.build_dir, "The local build to check or copy (default: this binary's)");
    hosts->add_option("--json", hosts_options.json, "Also write what meta.json would record of the hosts here");
    hosts->add_flag("--kill-leftovers", hosts_options.kill_leftovers,
                    "End processes of another run found on a host (default: refuse, naming them)");
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
        if (app.got_subcommand(hosts)) return pb::harness::check_hosts_command(hosts_options);
        return run_scenario(options, interrupted);
    } catch (const std::exception& error) {
        fmt::print(stderr, "prefork-bench: {}\n", error.what());
        return 2;
    }
}
