#include "results/results_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "common/file_text.hpp"
#include "results/metrics.hpp"

namespace pb::harness {

namespace {

// What a run's fields can be trusted for. A failed run keeps whatever it got
// before failing, so each part is judged on its own.
struct Measured {
    bool wrk = false;          // wrk wrote a report
    bool latency = false;      // ... with at least one response, not pipelined
    bool server_usage = false; // /proc was sampled for the server
    bool wrk_usage = false;    // ... and for wrk
    bool workers = false;      // the server's --stats were read
    bool idle = false;         // an idle-connections run (its own columns, no wrk)
};

Measured measured(const RunResult& run) {
    Measured m;
    m.wrk = run.wrk.duration_s > 0;
    // Pipelined, wrk 4.1's latency is not a measurement: its coordinated-
    // omission correction (stats_correct) assumes one response per sample,
    // adds samples below the minimum that no percentile reaches, and leaves
    // most percentiles 0 and the mean wrong (wg/wrk#236). raw/ keeps them.
    m.latency = m.wrk && run.wrk.requests > 0 && !run.wrk.percentiles.empty() && run.pipeline == 1;
    m.server_usage = run.server_usage.processes > 0;
    m.wrk_usage = run.wrk_usage.processes > 0;
    m.workers = !run.workers.empty();
    m.idle = run.mode == "idle-connections";
    return m;
}

// Shortest text that reads back as the same double; empty for no value.
std::string number(std::optional<double> value) {
    if (!value || !std::isfinite(*value)) return {};
    return fmt::format("{}", *value);
}

std::string number_if(bool present, double value) { return present ? number(value) : std::string(); }

template <typename Integer>
std::string integer_if(bool present, Integer value) {
    return present ? fmt::format("{}", value) : std::string();
}

// smaps_rollup's unit, so a reading is written as the kernel gave it.
std::string kib_if(bool present, std::uint64_t bytes) { return present ? fmt::format("{}", bytes / 1024) : std::string(); }

double milliseconds(std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::vector<double> worker_connections(const RunResult& run) {
    std::vector<double> values;
    for (const WorkerRow& w : run.workers) values.push_back(static_cast<double>(w.connections));
    return values;
}

std::string latency(const RunResult& run, const Measured& m, double percentile) {
    return m.latency ? number(run.wrk.latency_at(percentile)) : std::string();
}

// The window the samplers spanned: wrk's duration, or the open loop's whole
// run (its warm-up and drain are sampled too).
double sampled_seconds(const RunResult& run) {
    return run.generator == "open" && run.open.wall_s > 0 ? run.open.wall_s : run.wrk.duration_s;
}

std::string server_cpu_percent(const RunResult& run, const Measured& m) {
    return number_if(m.server_usage && m.wrk, cpu_percent(run.server_usage, sampled_seconds(run)));
}

std::string wrk_cpu_percent(const RunResult& run, const Measured& m) {
    return number_if(m.wrk_usage && m.wrk, cpu_percent(run.wrk_usage, sampled_seconds(run)));
}

std::string workers_connections(const RunResult& run, const Measured& m, bool maximum) {
    if (!m.workers) return {};
    const std::vector<double> values = worker_connections(run);
    return number(maximum ? *std::max_element(values.begin(), values.end()) : *std::min_element(values.begin(), values.end()));
}

std::string jain_connections(const RunResult& run, const Measured& m) {
    if (!m.workers) return {};
    const std::vector<double> values = worker_connections(run);
    return number(jain_index(values));
}

std::string unserved(const RunResult& run) {
    const std::optional<int> value = unserved_connections(run);
    return value ? fmt::format("{}", *value) : std::string();
}

std::string client_bound_cell(const RunResult& run) {
    const std::optional<ClientBound> verdict = client_bound(run);
    return verdict ? std::string(verdict->bound ? "true" : "false") : std::string();
}

std::string client_bound_reason(const RunResult& run) {
    const std::optional<ClientBound> verdict = client_bound(run);
    return verdict ? verdict->reason : std::string();
}

struct RunColumn {
    const char* name;
    std::string (*value)(const RunResult& run, const Measured& m);
};

// The listen queue has no "sampled" flag; it is sampled while wrk measures,
// so a run with a wrk report is taken to have it.
const RunColumn run_columns[] = {
    {"run_id", [](const RunResult& r, const Measured&) { return fmt::format("{}", r.id); }},
    {"server", [](const RunResult& r, const Measured&) { return r.server; }},
    {"kind", [](const RunResult& r, const Measured&) { return r.kind; }},
    {"model", [](const RunResult& r, const Measured&) { return r.model; }},
    {"flags", [](const RunResult& r, const Measured&) { return r.flags; }},
    {"repetition", [](const RunResult& r, const Measured&) { return fmt::format("{}", r.repetition); }},
    {"connections", [](const RunResult& r, const Measured&) { return fmt::format("{}", r.connections); }},
    {"threads", [](const RunResult& r, const Measured&) { return integer_if(r.threads > 0, r.threads); }},
    {"pipeline", [](const RunResult& r, const Measured&) { return fmt::format("{}", r.pipeline); }},
    {"delay_ms", [](const RunResult& r, const Measured&) { return number(milliseconds(r.delay)); }},
    {"work_ms", [](const RunResult& r, const Measured&) { return number(milliseconds(r.work)); }},
    {"status", [](const RunResult& r, const Measured&) { return to_string(r.status); }},
    {"reason", [](const RunResult& r, const Measured&) { return r.reason; }},
    {"requests_per_s", [](const RunResult& r, const Measured& m) { return number_if(m.wrk, r.wrk.requests_per_second()); }},
    {"transfer_bytes_per_s", [](const RunResult& r, const Measured& m) { return number_if(m.wrk, r.wrk.bytes_per_second()); }},
    {"requests", [](const RunResult& r, const Measured& m) { return integer_if(m.wrk, r.wrk.requests); }},
    {"duration_s", [](const RunResult& r, const Measured& m) { return number_if(m.wrk, r.wrk.duration_s); }},
    {"latency_p50_ms", [](const RunResult& r, const Measured& m) { return latency(r, m, 50); }},
    {"latency_p75_ms", [](const RunResult& r, const Measured& m) { return latency(r, m, 75); }},
    {"latency_p90_ms", [](const RunResult& r, const Measured& m) { return latency(r, m, 90); }},
    {"latency_p99_ms", [](const RunResult& r, const Measured& m) { return latency(r, m, 99); }},
    {"latency_p99_9_ms", [](const RunResult& r, const Measured& m) { return latency(r, m, 99.9); }},
    {"latency_max_ms", [](const RunResult& r, const Measured& m) { return number_if(m.latency, r.wrk.latency_max_ms); }},
    {"latency_mean_ms", [](const RunResult& r, const Measured& m) { return number_if(m.latency, r.wrk.latency_mean_ms); }},
    {"latency_stdev_ms", [](const RunResult& r, const Measured& m) { return number_if(m.latency, r.wrk.latency_stdev_ms); }},
    {"errors_connect", [](const RunResult& r, const Measured& m) { return integer_if(m.wrk, r.wrk.errors.connect); }},
    {"errors_read", [](const RunResult& r, const Measured& m) { return integer_if(m.wrk, r.wrk.errors.read); }},
    {"errors_write", [](const RunResult& r, const Measured& m) { return integer_if(m.wrk, r.wrk.errors.write); }},
    {"errors_status", [](const RunResult& r, const Measured& m) { return integer_if(m.wrk, r.wrk.errors.status); }},
    {"errors_timeout", [](const RunResult& r, const Measured& m) { return integer_if(m.wrk, r.wrk.errors.timeout); }},
    {"server_cpu_s", [](const RunResult& r, const Measured& m) { return number_if(m.server_usage, r.server_usage.cpu_s()); }},
    {"server_cpu_percent", [](const RunResult& r, const Measured& m) { return server_cpu_percent(r, m); }},
    {"wrk_cpu_percent", [](const RunResult& r, const Measured& m) { return wrk_cpu_percent(r, m); }},
    {"server_rss_mib", [](const RunResult& r, const Measured& m) { return number_if(m.server_usage, r.server_usage.peak_rss_mib); }},
    {"server_voluntary_switches", [](const RunResult& r, const Measured& m) { return integer_if(m.server_usage, r.server_usage.voluntary_switches); }},
    {"server_involuntary_switches", [](const RunResult& r, const Measured& m) { return integer_if(m.server_usage, r.server_usage.involuntary_switches); }},
    {"server_processes", [](const RunResult& r, const Measured& m) { return integer_if(m.server_usage, r.server_usage.processes); }},
    {"server_threads", [](const RunResult& r, const Measured& m) { return integer_if(m.server_usage, r.server_usage.threads); }},
    {"workers_conn_min", [](const RunResult& r, const Measured& m) { return workers_connections(r, m, false); }},
    {"workers_conn_max", [](const RunResult& r, const Measured& m) { return workers_connections(r, m, true); }},
    {"jain_connections", [](const RunResult& r, const Measured& m) { return jain_connections(r, m); }},
    {"unserved_connections", [](const RunResult& r, const Measured&) { return unserved(r); }},
    {"listen_queue_max", [](const RunResult& r, const Measured&) { return integer_if(r.listen_queue.sampled, r.listen_queue.max); }},
    {"listen_queue_end", [](const RunResult& r, const Measured&) { return integer_if(r.listen_queue.sampled, r.listen_queue.at_end); }},
    {"listen_queue_median", [](const RunResult& r, const Measured&) { return integer_if(r.listen_queue.sampled, r.listen_queue.median); }},
    {"little_bound_rps", [](const RunResult& r, const Measured& m) { return m.idle || r.generator == "open" ? std::string() : number(little_bound(r.connections, r.delay, r.work)); }},
    {"efficiency", [](const RunResult& r, const Measured& m) { return m.wrk && r.generator != "open" ? number(efficiency(r)) : std::string(); }},
    {"pinning", [](const RunResult& r, const Measured&) { return r.pinning; }},
    {"wrk_cpus", [](const RunResult& r, const Measured&) { return integer_if(r.wrk_cpus > 0, r.wrk_cpus); }},
    {"client_bound", [](const RunResult& r, const Measured&) { return client_bound_cell(r); }},
    {"client_bound_reason", [](const RunResult& r, const Measured&) { return client_bound_reason(r); }},
    {"server_killed", [](const RunResult& r, const Measured&) { return std::string(r.server_killed ? "true" : "false"); }},
    // Idle-connections runs only (idle_run.cpp); empty for wrk runs.
    {"mode", [](const RunResult& r, const Measured&) { return r.mode; }},
    {"generator", [](const RunResult& r, const Measured&) { return r.generator; }},
    {"cost", [](const RunResult& r, const Measured&) { return r.open.cost; }},
    {"offered_rps", [](const RunResult& r, const Measured&) { return r.generator == "open" ? number(r.open.offered_rate) : std::string(); }},
    {"utilization", [](const RunResult& r, const Measured&) { return number(r.open.utilization); }},
    {"send_lateness_p50_us", [](const RunResult& r, const Measured& m) { return number_if(m.wrk && r.generator == "open", r.open.lateness_p50_us); }},
    {"send_lateness_p99_us", [](const RunResult& r, const Measured& m) { return number_if(m.wrk && r.generator == "open", r.open.lateness_p99_us); }},
    {"loop", [](const RunResult& r, const Measured&) { return r.generator == "open" ? r.open.loop : std::string(); }},
    {"restart_signal", [](const RunResult& r, const Measured&) { return r.disturbance.restart_signal; }},
    {"restarts", [](const RunResult& r, const Measured&) { return integer_if(!r.disturbance.restart_signal.empty(), r.disturbance.restarts); }},
    {"sysctl", [](const RunResult& r, const Measured&) { return r.disturbance.sysctl; }},
    {"idle_held", [](const RunResult& r, const Measured&) { return integer_if(r.idle.measured, r.idle.held); }},
    {"idle_pss_before_kib", [](const RunResult& r, const Measured&) { return kib_if(r.idle.pss_before_bytes > 0, r.idle.pss_before_bytes); }},
    {"idle_pss_held_kib", [](const RunResult& r, const Measured&) { return kib_if(r.idle.measured, r.idle.pss_held_bytes); }},
    {"idle_pss_after_kib", [](const RunResult& r, const Measured&) { return kib_if(r.idle.pss_after_bytes > 0, r.idle.pss_after_bytes); }},
    {"idle_bytes_per_connection", [](const RunResult& r, const Measured&) { return number(r.idle.bytes_per_connection()); }},
    {"idle_server_processes", [](const RunResult& r, const Measured&) { return integer_if(r.idle.measured, r.idle.server_processes); }},
    {"idle_probes", [](const RunResult& r, const Measured& m) { return integer_if(m.idle, r.idle.probe_ms.size()); }},
    {"idle_probe_p50_ms", [](const RunResult& r, const Measured&) { return number(nearest_rank(r.idle.probe_ms, 50)); }},
    {"idle_probe_p99_ms", [](const RunResult& r, const Measured&) { return number(nearest_rank(r.idle.probe_ms, 99)); }},
    {"idle_probe_max_ms", [](const RunResult& r, const Measured&) { return number(nearest_rank(r.idle.probe_ms, 100)); }},
    {"idle_dropped", [](const RunResult& r, const Measured& m) { return integer_if(m.idle, r.idle.dropped); }},
    // Several client processes or hosts ([hosts]): how many, and whether the
    // latency is exact (one wrk; prefork-load's histograms merged) or merged
    // from several wrk's percentiles (latency-clients.csv has each one's).
    {"clients", [](const RunResult& r, const Measured&) { return integer_if(!r.fleet.clients.empty(), r.fleet.clients.size()); }},
    {"round_trip_ms", [](const RunResult& r, const Measured&) { return number(r.fleet.round_trip_ms); }},
    {"little_bound_rtt_rps", [](const RunResult& r, const Measured& m) {
         const bool applies = !m.idle && r.generator != "open" && r.fleet.round_trip_ms;
         return applies ? number(little_bound_with_round_trip(r.connections, r.delay, r.work, *r.fleet.round_trip_ms)) : std::string();
     }},
    {"latency_exact", [](const RunResult& r, const Measured& m) {
         return m.latency ? std::string(r.fleet.wrk_reports.size() > 1 ? "false" : "true") : std::string();
     }},
};

void append_row(std::string& out, const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out += ',';
        out += csv_field(fields[i]);
    }
    out += '\n';
}

std::string runs_csv(std::span<const RunResult> runs) {
    std::string out;
    std::vector<std::string> fields;
    for (const RunColumn& column : run_columns) fields.emplace_back(column.name);
    append_row(out, fields);
    for (const RunResult& run : runs) {
        const Measured m = measured(run);
        fields.clear();
        for (const RunColumn& column : run_columns) fields.push_back(column.value(run, m));
        append_row(out, fields);
    }
    return out;
}

std::string latency_csv(std::span<const RunResult> runs) {
    std::string out = "run_id,server,percentile,latency_ms\n";
    for (const RunResult& run : runs) {
        if (!measured(run).latency) continue;
        for (const Percentile& p : run.wrk.percentiles)
            append_row(out, {fmt::format("{}", run.id), run.server, number(p.percentile), number(p.latency_ms)});
    }
    return out;
}

// Each wrk's own percentiles where several loaded one run; "" when none did.
std::string latency_clients_csv(std::span<const RunResult> runs) {
    std::string out;
    for (const RunResult& run : runs) {
        if (run.fleet.wrk_reports.size() < 2 || !measured(run).latency) continue;
        for (std::size_t k = 0; k < run.fleet.wrk_reports.size(); ++k) {
            const std::string& client = run.fleet.clients[k];
            const std::string name = client.substr(0, client.find(": "));
            for (const Percentile& p : run.fleet.wrk_reports[k].percentiles)
                append_row(out, {fmt::format("{}", run.id), run.server, fmt::format("{}", k + 1), name, number(p.percentile),
                                 number(p.latency_ms)});
        }
    }
    return out.empty() ? out : "run_id,server,client,client_name,percentile,latency_ms\n" + out;
}

// Every counter of common/worker_counter_list.hpp, in its order.
std::string workers_csv(std::span<const RunResult> runs) {
    std::string out = "run_id,server,worker,pid";
#define PB_COUNTER_COLUMN(name, meaning) out += "," #name;
    PB_WORKER_COUNTERS(PB_COUNTER_COLUMN)
#undef PB_COUNTER_COLUMN
    out += '\n';
    for (const RunResult& run : runs) {
        for (const WorkerRow& w : run.workers) {
            std::vector<std::string> fields{fmt::format("{}", run.id), run.server, fmt::format("{}", w.worker),
                                            fmt::format("{}", w.pid)};
#define PB_COUNTER_VALUE(name, meaning) fields.push_back(fmt::format("{}", w.name));
            PB_WORKER_COUNTERS(PB_COUNTER_VALUE)
#undef PB_COUNTER_VALUE
            append_row(out, fields);
        }
    }
    return out;
}

} // namespace

std::string csv_field(std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
    std::string quoted = "\"";
    for (char c : value) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

void write_runs_csv(const std::filesystem::path& file, std::span<const RunResult> runs) {
    write_file_atomically(file, runs_csv(runs));
}

void write_latency_csv(const std::filesystem::path& file, std::span<const RunResult> runs) {
    write_file_atomically(file, latency_csv(runs));
}

void write_latency_clients_csv(const std::filesystem::path& file, std::span<const RunResult> runs) {
    const std::string text = latency_clients_csv(runs);
    if (!text.empty()) write_file_atomically(file, text);
}

void write_workers_csv(const std::filesystem::path& file, std::span<const RunResult> runs) {
    write_file_atomically(file, workers_csv(runs));
}

} // namespace pb::harness
