#include "cli/command_line.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <unistd.h>

#include "common/cpus.hpp"
#include "common/ready_line.hpp"
#include "common/units.hpp"

namespace pb {

namespace {

// A duration flag whose bad value names the flag and shows what is expected.
void add_duration(CLI::App& app, const std::string& name, std::chrono::nanoseconds& target,
                  const std::string& help) {
    app.add_option_function<std::string>(
           name,
           [name, &target](const std::string& text) {
               auto value = parse_duration(text);
               if (!value)
                   throw CLI::ValidationError(name, "expected a duration such as 0, 250us, 5ms or 1s, got '" +
                                                        text + "'");
               target = *value;
           },
           help)
        ->type_name("DURATION")
        ->default_str(format_duration(target));
}

// A fraction from 0 to 1; "nan", "inf" and trailing junk are refused.
void add_share(CLI::App& app, const std::string& name, double& target, const std::string& help) {
    app.add_option_function<std::string>(
           name,
           [name, &target](const std::string& text) {
               char* end = nullptr;
               const double value = std::strtod(text.c_str(), &end);
               if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0.0 ||
                   value > 1.0)
                   throw CLI::ValidationError(name, "expected a fraction from 0 to 1 such as 0.25, got '" + text + "'");
               target = value;
           },
           help)
        ->type_name("SHARE")
        ->default_str(fmt::format("{}", target));
}

void add_pause(CLI::App& app, PauseSchedule& target) {
    app.add_option_function<std::string>(
           "--pause",
           [&target](const std::string& text) {
               auto value = parse_pause_schedule(text);
               if (!value)
                   throw CLI::ValidationError("--pause", "expected PAUSE/PERIOD such as 5ms/100ms with 0 < PAUSE < "
                                                         "PERIOD, got '" + text + "'");
               target = *value;
           },
           "Stop every serving process (all its threads) with SIGSTOP for PAUSE once every PERIOD, from a "
           "pauser child per process, each at its own random phase")
        ->type_name("PAUSE/PERIOD")
        ->default_str(format_pause_schedule(target));
}

} // namespace

ListenerOptions ServerOptions::listener_options() const {
    ListenerOptions options;
    options.backlog = backlog;
    options.defer_accept = defer_accept;
    options.fastopen = fastopen;
    return options;
}

ServerOptions parse_command_line(int argc, char** argv, std::string_view model, std::string_view description,
                                 const ExtraFlags& extend) {
    ServerOptions options;
    options.workers = online_cpus();

    CLI::App app{std::string(description), std::string(model)};
    app.set_version_flag("--version", std::string(model) + " (prefork-bench) " PREFORK_BENCH_VERSION);
    app.add_option_function<std::string>(
           "--listen",
           [&options](const std::string& text) {
               auto endpoint = parse_endpoint(text);
               if (!endpoint)
                   throw CLI::ValidationError("--listen", "expected HOST:PORT such as 127.0.0.1:8080, got '" +
                                                              text + "'");
               options.listen = *endpoint;
           },
           "Address to listen on; port 0 picks a free port")
        ->type_name("HOST:PORT")
        ->default_str(to_string(options.listen));
    app.add_option("--workers", options.workers, "Worker processes or threads")
        ->check(CLI::Range(1, 65536))
        ->default_str(std::to_string(options.workers) + " (online CPUs)");
    add_duration(app, "--delay", options.handler.delay, "Time each request waits before its response");
    add_duration(app, "--work", options.handler.work, "CPU time spent per request before the wait");
    app.add_flag("--cost-from-request", options.handler.cost_from_request,
                 "Take work= and delay= (microseconds) from each request's query string; --work and --delay "
                 "apply to the part a request leaves out, a malformed cost gets 400");
    add_duration(app, "--max-cost", options.handler.max_cost,
                 "Largest work= or delay= a request may ask for with --cost-from-request (larger: 400)");
    add_share(app, "--critical-section", options.handler.critical_share,
              "Share of each request's CPU work (--work or work=) spent holding one mutex of the whole process: "
              "threads of a process contend for it, processes each have their own; 0 takes no lock");
    app.add_option("--stats", options.stats_path, "Write per-worker counters to this CSV file at exit")
        ->type_name("FILE");
    app.add_option("--backlog", options.backlog, "listen() backlog")->check(CLI::Range(1, 1 << 20))->capture_default_str();
    app.add_flag("--defer-accept", options.defer_accept, "Set TCP_DEFER_ACCEPT on the listener");
    app.add_flag("--fastopen", options.fastopen, "Set TCP_FASTOPEN on the listener");
    add_duration(app, "--idle-timeout", options.idle_timeout, "Close a keep-alive connection idle this long (0: never)");
    add_duration(app, "--header-timeout", options.header_timeout, "A request head must arrive within this time (0: no limit)");
    add_duration(app, "--drain-timeout", options.drain_timeout,
                 "On SIGTERM, how long in-flight requests may take to finish");
    add_pause(app, options.pause);
    if (extend) extend(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) std::exit(app.exit(error)); // --help, --version
        std::string message = error.what();
        if (auto newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
        fmt::print(stderr, "{}: {}\n", model, message);
        std::exit(2);
    }
    return options;
}

ExtraFlags choice_flag(std::string name, std::string& value, std::string help, std::vector<std::string> choices) {
    return [name = std::move(name), &value, help = std::move(help), choices = std::move(choices)](CLI::App& app) {
        app.add_option(name, value, help)->check(CLI::IsMember(choices))->capture_default_str();
    };
}

void announce_ready(std::string_view model, const Endpoint& listen, int workers) {
    fmt::print("{}\n", format_ready_line(model, to_string(listen), getpid(), workers));
    std::fflush(stdout);
}

} // namespace pb
