#include "load/load_options.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fmt/format.h>
#include <stdexcept>

#include "common/units.hpp"

namespace pb::load {
namespace {

// A CLI11 check for a duration flag: the error names the flag.
std::chrono::nanoseconds duration_of(const std::string& flag, const std::string& text, bool zero_ok) {
    const std::optional<std::chrono::nanoseconds> value = parse_duration(text);
    if (!value || (!zero_ok && value->count() == 0))
        throw std::invalid_argument(
            fmt::format("{}: expected a duration such as 10s or 250ms{}, got \"{}\"", flag, zero_ok ? "" : " (not 0)", text));
    return *value;
}

// "0-1,3" into CPU numbers.
std::vector<int> cpus_of(const std::string& text) {
    std::vector<int> cpus;
    std::size_t at = 0;
    while (at <= text.size()) {
        const std::size_t comma = std::min(text.find(',', at), text.size());
        const std::string part = text.substr(at, comma - at);
        const std::size_t dash = part.find('-');
        try {
            std::size_t used = 0;
            const int first = std::stoi(part.substr(0, dash), &used);
            if (used != (dash == std::string::npos ? part.size() : dash) || first < 0) throw std::invalid_argument("");
            int last = first;
            if (dash != std::string::npos) {
                const std::string tail = part.substr(dash + 1);
                last = std::stoi(tail, &used);
                if (used != tail.size() || last < first) throw std::invalid_argument("");
            }
            for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
        } catch (const std::exception&) {
            throw std::invalid_argument(fmt::format("--cpus: expected a CPU list such as 1 or 0-1,3, got \"{}\"", text));
        }
        at = comma + 1;
    }
    return cpus;
}

// --write-schedule and --schedule-only: a file name, and an open loop.
void check_schedule_file(const LoadOptions& options, bool file_given) {
    if (file_given && options.write_schedule.empty())
        throw std::invalid_argument("--write-schedule: expected a file name, got \"\"");
    if (options.schedule_only && options.write_schedule.empty())
        throw std::invalid_argument("--schedule-only: requires --write-schedule FILE");
    if (options.closed && !options.write_schedule.empty())
        throw std::invalid_argument("--write-schedule: a closed loop has no schedule; drop --write-schedule or --closed");
}

} // namespace

std::vector<std::string> documented_headers() {
    return {"Host: localhost",
            "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7",
            "Connection: keep-alive"};
}

ParsedOptions parse_load_options(int argc, char** argv) {
    CLI::App app{"prefork-load: an open-loop HTTP load generator. Requests leave at times drawn before the run "
                 "(Poisson or uniform arrivals, a seed), each timed from its intended send time, so a server's "
                 "stall shows in the latency (no coordinated omission).",
                 "prefork-load"};
    LoadOptions options;
    std::string duration = "10s", warmup = "0", timeout = "8s", arrival = "poisson", cpus, progress = "5s", spin = "100us";
    std::vector<std::string> costs;
    app.add_option("url", options.url, "http://HOST:PORT/PATH")->required();
    app.add_option("--rate", options.rate, "Requests per second offered (required unless --closed)");
    app.add_option("--duration", duration, "Measured time, after the warm-up")->capture_default_str();
    app.add_option("--warmup", warmup, "Time sent but not measured, before the measured time")->capture_default_str();
    app.add_option("--connections", options.connections,
                   "Keep-alive connections, each request on an idle one drawn uniformly at random (from --seed, per "
                   "thread); with --connect-per-request, requests in flight")
        ->check(CLI::Range(1, 1'000'000))
        ->capture_default_str();
    app.add_option("--threads", options.threads, "Threads, each with its share of the connections and requests")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    app.add_option("--arrival", arrival, "poisson or uniform")->capture_default_str();
    app.add_option("--cost", costs,
                   "[work=|delay=]DIST, DIST one of fixed:D, exp:D, bimodal:P:D1:D2, lognormal:D:SIGMA; sent as "
                   "/?work=US&delay=US (the servers' --cost-from-request); repeatable, once per target");
    app.add_option("--seed", options.seed, "Seed of the arrival times, the costs and the idle-connection draws")
        ->capture_default_str();
    app.add_flag("--connect-per-request", options.connect_per_request, "A new connection per request, with Connection: close");
    app.add_flag("--closed", options.closed, "Closed loop: each connection sends its next request when answered (as wrk)");
    app.add_option("--timeout", timeout, "A request unanswered this long is an error")->capture_default_str();
    app.add_option("--json", options.json, "Write the results as JSON to this file");
    app.add_option("--write-schedule", options.write_schedule,
                   "Write the planned schedule (every request's intended send time and costs, warm-up included) to "
                   "this file before the run: \"PBSCHED1\", a 40-byte header, 16-byte records (load/schedule_file.hpp)");
    app.add_flag("--schedule-only", options.schedule_only,
                 "Plan, write --write-schedule's file and exit 0 without connecting (the URL is parsed, not resolved)");
    app.add_option("-H,--header", options.headers, "A request header (repeatable); default: the documented wrk headers");
    app.add_option("--cpus", cpus, "CPUs for the threads, round robin, e.g. 1 or 0-1,3 (default: not pinned)");
    app.add_flag("--realtime", options.realtime, "Run the threads under SCHED_FIFO (root or CAP_SYS_NICE)");
    app.add_option("--spin", spin,
                   "Wake this long before each send and spin to it: sends within a µs, at the price of a CPU's share "
                   "(about spin x rate); 0 sleeps to the send time (tens of µs late), for a generator that shares "
                   "CPUs with the server")
        ->capture_default_str();
    app.add_option("--progress", progress, "Interval of the progress line on stderr (0: none)")->capture_default_str();
    try {
        app.parse(argc, argv);
        options.duration = duration_of("--duration", duration, false);
        options.warmup = duration_of("--warmup", warmup, true);
        options.timeout = duration_of("--timeout", timeout, false);
        options.progress = duration_of("--progress", progress, true);
        options.spin = duration_of("--spin", spin, true);
        const std::optional<Arrival> parsed_arrival = parse_arrival(arrival);
        if (!parsed_arrival) throw std::invalid_argument(fmt::format("--arrival: expected poisson or uniform, got \"{}\"", arrival));
        options.arrival = *parsed_arrival;
        for (const std::string& cost : costs) options.costs.push_back(parse_cost(cost));
        if (!cpus.empty()) options.cpus = cpus_of(cpus);
        if (app.count("--rate") > 0 && !(options.rate > 0))
            throw std::invalid_argument(fmt::format("--rate: expected a positive number of requests per second, got {}", options.rate));
        if (!options.closed && options.rate <= 0) throw std::invalid_argument("--rate: required (requests per second) unless --closed");
        if (options.closed && options.rate > 0) throw std::invalid_argument("--rate: a closed loop sets its own rate; drop --rate or --closed");
        if (options.closed && options.connect_per_request)
            throw std::invalid_argument("--closed: not with --connect-per-request (measure that with wrk)");
        check_schedule_file(options, app.count("--write-schedule") > 0);
        if (options.connections < options.threads)
            throw std::invalid_argument(fmt::format("--connections: at least one per thread ({})", options.threads));
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) return {std::nullopt, app.exit(error)};
        const std::string message = error.what();
        std::fprintf(stderr, "prefork-load: %s\n", message.substr(0, message.find('\n')).c_str());
        return {std::nullopt, 2};
    } catch (const std::invalid_argument& error) {
        std::fprintf(stderr, "prefork-load: %s\n", error.what());
        return {std::nullopt, 2};
    }
    if (options.headers.empty()) options.headers = documented_headers();
    return {std::move(options), 0};
}

} // namespace pb::load
