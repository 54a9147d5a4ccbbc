// prefork-load: an open-loop HTTP load generator (load/README in the main
// README's "The load generator" section). Plans the schedule (and writes it
// with --write-schedule, then stops there with --schedule-only), runs one
// LoadWorker per thread, merges what they measured and reports it.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <latch>
#include <mutex>
#include <optional>
#include <sched.h>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include "common/cpus.hpp"
#include "common/file_text.hpp"
#include "load/load_options.hpp"
#include "load/load_report.hpp"
#include "load/load_worker.hpp"
#include "load/schedule_file.hpp"

namespace {

using namespace pb::load;

// Cost draws for a closed loop, cycled: a closed loop has no schedule, only
// the sequence of costs.
constexpr std::size_t closed_loop_costs = 1 << 20;
// Between the last connection made and the first send: every thread starts
// its clock at the same instant.
constexpr std::int64_t start_delay_ns = 2'000'000;

// One open-file slot per connection and some: raised here, in the process
// that needs it.
void raise_open_files(int connections) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    const rlim_t wanted = static_cast<rlim_t>(connections) + 64;
    if (limit.rlim_cur >= wanted) return;
    limit.rlim_cur = std::min(limit.rlim_max, std::max(wanted, limit.rlim_cur));
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

RunConfig make_config(const LoadOptions& options) {
    RunConfig config;
    // --schedule-only looks nothing up: the same command line reproduces a
    // past run's schedule where its host is unknown.
    config.url = options.schedule_only ? parse_url(options.url) : resolve_url(options.url);
    for (std::string header : options.headers) {
        // --connect-per-request says so in its one Connection header.
        if (options.connect_per_request && header.rfind("Connection:", 0) == 0) continue;
        config.header_block += header + "\r\n";
    }
    if (options.connect_per_request) config.header_block += "Connection: close\r\n";
    config.header_block += "\r\n";
    if (config.header_block.size() + config.url.path.size() + 128 > 4096)
        throw std::invalid_argument("-H: the headers and the path must fit in 4 KiB");
    for (const CostDistribution& cost : options.costs) {
        config.has_work = config.has_work || cost.target == CostTarget::work;
        config.has_delay = config.has_delay || cost.target == CostTarget::delay;
    }
    config.connect_per_request = options.connect_per_request;
    config.mode = options.closed ? LoadMode::closed : LoadMode::open;
    config.warmup_ns = options.warmup.count();
    config.spin_ns = options.spin.count();
    config.end_ns = (options.warmup + options.duration).count();
    config.timeout_ns = options.timeout.count();
    config.seed = options.seed;
    ScheduleSpec spec;
    spec.arrival = options.arrival;
    spec.costs = options.costs;
    spec.seed = options.seed;
    spec.duration = options.warmup + options.duration;
    spec.rate = options.closed ? static_cast<double>(closed_loop_costs) / std::chrono::duration<double>(spec.duration).count()
                               : options.rate;
    config.schedule = plan_schedule(spec);
    if (options.closed && config.schedule.empty()) config.schedule.push_back({});
    return config;
}

void set_realtime() {
    sched_param priority{};
    priority.sched_priority = 1;
    if (::sched_setscheduler(0, SCHED_FIFO, &priority) != 0)
        throw std::invalid_argument(std::string("--realtime: sched_setscheduler(SCHED_FIFO, 1): ") + std::strerror(errno) +
                                    " (needs root or CAP_SYS_NICE)");
}

double cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// --write-schedule, before connecting: a path that cannot be written costs
// no run. True when --schedule-only ends the program here.
bool write_schedule(const LoadOptions& options, const RunConfig& config) {
    if (options.write_schedule.empty()) return false;
    write_schedule_file(options.write_schedule, config.schedule, config.warmup_ns, config.end_ns);
    if (!options.schedule_only) return false;
    std::printf("prefork-load: wrote %zu planned requests to %s\n", config.schedule.size(), options.write_schedule.c_str());
    return true;
}

int run(const LoadOptions& options) {
    const RunConfig config = make_config(options);
    if (write_schedule(options, config)) return 0;
    raise_open_files(options.connections);
    if (options.realtime) set_realtime(); // the threads inherit it

    const auto threads = static_cast<std::size_t>(options.threads);
    std::vector<std::unique_ptr<LoadWorker>> workers;
    for (std::size_t t = 0; t < threads; ++t) {
        const int share = options.connections / options.threads + (static_cast<int>(t) < options.connections % options.threads ? 1 : 0);
        workers.push_back(std::make_unique<LoadWorker>(config, t, threads, share));
    }
    std::latch connected(static_cast<std::ptrdiff_t>(threads));
    std::atomic<std::int64_t> start{0};
    std::atomic<int> finished_threads{0};
    std::mutex failure_mutex;
    std::string failure;
    const double wall_start = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    std::vector<std::thread> running;
    for (std::size_t t = 0; t < threads; ++t)
        running.emplace_back([&, t] {
            bool counted = false;
            try {
                if (!options.cpus.empty()) {
                    const int cpu = options.cpus[t % options.cpus.size()];
                    if (const int error = pb::CpuMask({cpu}).apply_to_current_process(); error != 0)
                        throw std::runtime_error("sched_setaffinity(CPU " + std::to_string(cpu) + "): " + std::strerror(error));
                }
                workers[t]->connect_all();
                connected.count_down();
                counted = true;
                std::int64_t at = 0;
                while ((at = start.load()) == 0) std::this_thread::yield();
                if (at > 0) workers[t]->run(at);
            } catch (const std::exception& error) {
                const std::lock_guard lock(failure_mutex);
                if (failure.empty()) failure = error.what();
                if (!counted) connected.count_down();
                start.store(-1); // the others stop too
            }
            ++finished_threads;
        });
    connected.wait();
    std::int64_t expected = 0;
    start.compare_exchange_strong(expected, now_ns() + start_delay_ns);
    const std::int64_t started = start.load();

    // The progress line, until every thread is done.
    std::int64_t next_progress = started + options.progress.count();
    while (finished_threads.load() < static_cast<int>(threads)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const std::int64_t now = now_ns();
        if (options.progress.count() <= 0 || started <= 0 || now < next_progress) continue;
        std::uint64_t answered = 0;
        for (const auto& worker : workers) answered += worker->completed_so_far();
        std::fprintf(stderr, "prefork-load: %.0f s, %llu answered\n", static_cast<double>(now - started) / 1e9,
                     static_cast<unsigned long long>(answered));
        next_progress += options.progress.count();
    }
    for (std::thread& thread : running) thread.join();
    if (!failure.empty()) {
        std::fprintf(stderr, "prefork-load: %s\n", failure.c_str());
        return 1;
    }

    LoadReport report;
    report.options = &options;
    for (const auto& worker : workers) report.counters.add(worker->counters());
    report.measured_s = std::chrono::duration<double>(options.duration).count();
    report.offered_rate = options.closed ? 0 : options.rate;
    for (const PlannedRequest& request : config.schedule)
        if (!options.closed && request.send_at_ns >= config.warmup_ns) ++report.scheduled;
    report.cpu_s = cpu_seconds();
    report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count() - wall_start;
    if (!options.json.empty()) pb::write_file_atomically(options.json, to_json(report).dump(2) + "\n");
    std::fputs(summary_text(report).c_str(), stdout);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    ParsedOptions parsed = parse_load_options(argc, argv);
    if (!parsed.options) return parsed.exit_status;
    try {
        return run(*parsed.options);
    } catch (const std::invalid_argument& error) {
        std::fprintf(stderr, "prefork-load: %s\n", error.what());
        return 2;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "prefork-load: %s\n", error.what());
        return 1;
    }
}
