// pb-remote: what the harness runs on a host over SSH (one invocation per
// job, no daemon, no protocol of its own): the host's facts, its clock, a
// command tied to the SSH channel, a sampling window over a process tree,
// a server's counters, and the processes a run left behind.
#include <signal.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <fmt/format.h>
#include <string_view>

#include "common/wall_clock.hpp"
#include "guard/marked_processes.hpp"
#include "host/host_info.hpp"
#include "hostside/child_runner.hpp"
#include "hostside/sample_window.hpp"
#include "hostside/server_counters.hpp"

namespace {

int print_facts() {
    fmt::print("{}\n", pb::harness::host_facts().dump());
    return 0;
}

void say_clock() {
    fmt::print("{}\n", pb::realtime_ns());
    std::fflush(stdout);
}

// --echo: once per line on stdin, until its end: over one open channel a
// probe costs the network's round trip, not a session's setup.
int print_clock(bool echo) {
    if (!echo) {
        say_clock();
        return 0;
    }
    for (std::string line; std::getline(std::cin, line);) say_clock();
    return 0;
}

// Exit 0 when nothing carries the marker; 1 after listing (and with --kill
// ending) what does.
int leftovers(const std::string& marker, bool prefix, bool kill) {
    const auto found = prefix ? pb::harness::processes_with_entry_prefix(marker) : pb::harness::processes_of_run(-1, marker);
    if (found.empty()) {
        fmt::print("none\n");
        return 0;
    }
    fmt::print("{}\n", pb::harness::describe(found));
    if (kill)
        for (const auto& process : found) ::kill(process.pid, SIGKILL);
    return 1;
}

std::pair<std::string, std::string> env_entry(const std::string& text) {
    const auto equals = text.find('=');
    return {text.substr(0, equals), equals == std::string::npos ? "" : text.substr(equals + 1)};
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"pb-remote: the harness's helper on a host reached over SSH (prefork-bench's [hosts])", "pb-remote"};
    app.require_subcommand(1);
    app.add_subcommand("facts", "Print this host's facts (CPU, cores, kernel, governor, network interfaces) as JSON");
    bool echo = false;
    app.add_subcommand("clock", "Print CLOCK_REALTIME in nanoseconds (the harness's clock-offset probe)")
        ->add_flag("--echo", echo, "Print it again for every line read on stdin, until its end");

    pb::hostside::ChildRun child;
    std::vector<std::string> env;
    std::int64_t start_at = 0;
    int grace_ms = 10'000;
    CLI::App* run = app.add_subcommand(
        "run", "Run COMMAND in its own process group until it ends or stdin closes (then SIGTERM, SIGKILL after the "
               "grace); prints 'pb-remote: pid PID started_ns NS' first and 'pb-remote: exit STATUS' last");
    run->add_option("--env", env, "NAME=VALUE added to the command's environment (repeatable)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    run->add_option("--start-at-ns", start_at, "Start at this CLOCK_REALTIME (the start barrier); default: at once")
        ->check(CLI::PositiveNumber);
    run->add_option("--grace-ms", grace_ms, "From SIGTERM to SIGKILL")->capture_default_str()->check(CLI::Range(0, 600'000));
    int sample_ms = 0;
    run->add_option("--sample-ms", sample_ms, "Sample the command's process tree every N ms; print its usage at the end")
        ->check(CLI::Range(0, 60'000));
    run->add_option("--cpus", child.cpus, "Pin the command to these CPUs (comma-separated)")->delimiter(',');
    run->footer("The command and its arguments come after --: pb-remote run [OPTIONS] -- COMMAND [ARGS...]");

    int pid = 0, interval_ms = 100, timeout_ms = 3000;
    std::string stats, marker;
    bool kill = false, prefix = false;
    CLI::App* sample = app.add_subcommand(
        "sample", "Sample the process tree of PID until stdin closes; print 'pb-remote: sampling', then its usage as JSON");
    sample->add_option("--pid", pid, "The tree's root")->required()->check(CLI::PositiveNumber);
    sample->add_option("--interval-ms", interval_ms, "Between samples")->capture_default_str()->check(CLI::Range(1, 60'000));
    CLI::App* counters = app.add_subcommand("counters", "SIGUSR1 to one of our servers and print the stats file it writes");
    counters->add_option("--pid", pid, "The server")->required()->check(CLI::PositiveNumber);
    counters->add_option("--stats", stats, "Its --stats file")->required();
    counters->add_option("--timeout-ms", timeout_ms, "Wait for the file at most")->capture_default_str()->check(CLI::PositiveNumber);
    CLI::App* left = app.add_subcommand("leftovers", "List (and with --kill end) the processes carrying a run marker; exit 1 if any");
    left->add_option("--marker", marker, "NAME=VALUE in their environment")->required();
    left->add_flag("--prefix", prefix, "Match every entry that starts with --marker (NAME= finds any run's)");
    left->add_flag("--kill", kill, "SIGKILL them");
    // Everything after the first "--" is the command, taken apart from
    // CLI11, which would read its options (sh -c) as pb-remote's own.
    int own = argc;
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]) == "--") {
            own = i;
            break;
        }
    for (int i = own + 1; i < argc; ++i) child.argv.emplace_back(argv[i]);
    try {
        app.parse(own, argv);
        if (app.got_subcommand(run) && child.argv.empty()) throw CLI::ValidationError("run", "no command after --");
        if (!app.got_subcommand(run) && own < argc) throw CLI::ValidationError("--", "only run takes a command after --");
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) return app.exit(error);
        const std::string message = error.what();
        fmt::print(stderr, "pb-remote: {}\n", message.substr(0, message.find('\n')));
        return 2;
    }
    try {
        if (app.got_subcommand("facts")) return print_facts();
        if (app.got_subcommand("clock")) return print_clock(echo);
        if (app.got_subcommand(sample)) return pb::hostside::sample_window(pid, std::chrono::milliseconds(interval_ms));
        if (app.got_subcommand(counters))
            return pb::hostside::print_counters(pid, stats, std::chrono::milliseconds(timeout_ms));
        if (app.got_subcommand(left)) return leftovers(marker, prefix, kill);
        for (const std::string& entry : env) child.env.push_back(env_entry(entry));
        if (start_at > 0) child.start_at_ns = start_at;
        child.grace = std::chrono::milliseconds(grace_ms);
        child.sample_interval = std::chrono::milliseconds(sample_ms);
        return pb::hostside::run_child(child);
    } catch (const std::exception& error) {
        fmt::print(stderr, "pb-remote: {}\n", error.what());
        return 2;
    }
}
