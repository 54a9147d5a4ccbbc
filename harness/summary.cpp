#include "summary.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <optional>
#include <string_view>
#include <vector>

#include "metrics.hpp"
#include "results_writer.hpp"

namespace pb::harness {

namespace {

constexpr std::string_view none = "–"; // en dash: no value

// ---- formatting for reading ------------------------------------------------

// "1234567.5" -> "1,234,567.5"; fmt's {:L} would depend on the process locale.
std::string group_digits(std::string text) {
    const std::size_t start = text.front() == '-' ? 1 : 0;
    const std::size_t point = std::min(text.find('.'), text.size());
    for (std::size_t i = point; i > start + 3; i -= 3) text.insert(i - 3, ",");
    return text;
}

std::string thousands(double value) { return group_digits(fmt::format("{:.0f}", value)); }

// Two decimals below 10 ms (1.36), one above (100.4, 1,234.5).
std::string milliseconds(double ms) {
    if (ms < 10) return fmt::format("{:.2f}", ms);
    return group_digits(fmt::format("{:.1f}", ms));
}

// Whole numbers as such; a median of two counts can end in .5.
std::string count(double value) {
    if (value == std::floor(value)) return thousands(value);
    return group_digits(fmt::format("{:.1f}", value));
}

std::string one_decimal(double value) { return fmt::format("{:.1f}", value); }
std::string two_decimals(double value) { return fmt::format("{:.2f}", value); }

std::string cell(const std::optional<Spread>& s, std::string (*format)(double)) {
    return s ? format(s->median) : std::string(none);
}

// A '|' would end the table cell, a line break the row.
std::string markdown_cell(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += "\\|";
        else if (c == '\n' || c == '\r') out += ' ';
        else out += c;
    }
    return out;
}

// TOML's multi-line strings end in a line break; the document adds its own.
std::string_view trim_end(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
    return text;
}

// ---- grouping --------------------------------------------------------------

struct Group {
    std::string server;
    int connections = 0;
    std::vector<const RunResult*> runs; // all, in input order
};

std::vector<std::string> servers_in_order(std::span<const RunResult> runs) {
    std::vector<std::string> servers;
    for (const RunResult& run : runs)
        if (std::find(servers.begin(), servers.end(), run.server) == servers.end()) servers.push_back(run.server);
    return servers;
}

std::vector<int> connection_counts(std::span<const RunResult> runs, const std::string& server) {
    std::vector<int> counts;
    for (const RunResult& run : runs)
        if (run.server == server && std::find(counts.begin(), counts.end(), run.connections) == counts.end())
            counts.push_back(run.connections);
    std::sort(counts.begin(), counts.end());
    return counts;
}

// Rows by server in first-appearance order, then by connection count.
std::vector<Group> group_runs(std::span<const RunResult> runs) {
    std::vector<Group> groups;
    for (const std::string& server : servers_in_order(runs)) {
        for (int connections : connection_counts(runs, server)) {
            Group group{server, connections, {}};
            for (const RunResult& run : runs)
                if (run.server == server && run.connections == connections) group.runs.push_back(&run);
            groups.push_back(std::move(group));
        }
    }
    return groups;
}

// ---- per-row figures -------------------------------------------------------

// Medians take only the runs that succeeded; a figure a run did not measure
// is left out rather than counted as zero.
template <typename Value>
std::optional<Spread> over_ok_runs(const Group& group, Value value) {
    std::vector<double> values;
    for (const RunResult* run : group.runs) {
        if (run->status != RunStatus::ok) continue;
        const std::optional<double> v = value(*run);
        if (v && std::isfinite(*v)) values.push_back(*v);
    }
    return spread(std::move(values));
}

bool wrk_measured(const RunResult& run) { return run.wrk.duration_s > 0; }

std::optional<double> latency(const RunResult& run, double percentile) {
    if (!wrk_measured(run) || run.wrk.requests == 0) return std::nullopt;
    return run.wrk.latency_at(percentile);
}

std::optional<double> server_cpu_percent(const RunResult& run) {
    if (run.server_usage.processes == 0 || !wrk_measured(run)) return std::nullopt;
    return cpu_percent(run.server_usage, run.wrk.duration_s);
}

std::optional<double> wrk_cpu_percent(const RunResult& run) {
    if (run.wrk_usage.processes == 0 || !wrk_measured(run)) return std::nullopt;
    return cpu_percent(run.wrk_usage, run.wrk.duration_s);
}

std::optional<double> server_cpu_us_per_request(const RunResult& run) {
    if (run.server_usage.processes == 0 || run.wrk.requests == 0) return std::nullopt;
    return run.server_usage.cpu_s() / static_cast<double>(run.wrk.requests) * 1e6;
}

std::optional<double> jain_of_connections(const RunResult& run) {
    std::vector<double> values;
    for (const WorkerRow& w : run.workers) values.push_back(static_cast<double>(w.connections));
    return jain_index(values);
}

std::string requests_cell(const Group& group) {
    const std::optional<Spread> s =
        over_ok_runs(group, [](const RunResult& r) -> std::optional<double> {
            if (!wrk_measured(r)) return std::nullopt;
            return r.wrk.requests_per_second();
        });
    if (!s) return std::string(none);
    return fmt::format("{} ({}–{})", thousands(s->median), thousands(s->min), thousands(s->max));
}

std::string efficiency_cell(const Group& group) {
    const std::optional<Spread> s = over_ok_runs(group, [](const RunResult& r) -> std::optional<double> {
        if (!wrk_measured(r)) return std::nullopt;
        const std::optional<double> e = efficiency(r);
        return e ? std::optional<double>(*e * 100) : std::nullopt;
    });
    return cell(s, one_decimal);
}

// The bound depends on the configuration, not on the measurement, so failed
// runs give it too.
std::string bound_cell(const Group& group) {
    const RunResult& run = *group.runs.front();
    const std::optional<double> bound = little_bound(run.connections, run.delay, run.work);
    return bound ? thousands(*bound) : std::string(none);
}

std::string unserved_cell(const Group& group) {
    const std::optional<Spread> s = over_ok_runs(group, [](const RunResult& r) -> std::optional<double> {
        const std::optional<int> u = unserved_connections(r);
        return u ? std::optional<double>(*u) : std::nullopt;
    });
    return s ? thousands(s->max) : std::string(none);
}

std::string runs_ok_cell(const Group& group) {
    const auto ok = std::count_if(group.runs.begin(), group.runs.end(),
                                  [](const RunResult* r) { return r->status == RunStatus::ok; });
    return fmt::format("{}/{}", ok, group.runs.size());
}

std::vector<std::string> row(const Group& group) {
    auto latency_at = [&](double p) {
        return cell(over_ok_runs(group, [p](const RunResult& r) { return latency(r, p); }), milliseconds);
    };
    return {
        markdown_cell(group.server),
        group.runs.front()->kind,
        thousands(group.connections),
        runs_ok_cell(group),
        requests_cell(group),
        latency_at(50),
        latency_at(99),
        latency_at(99.9),
        efficiency_cell(group),
        bound_cell(group),
        cell(over_ok_runs(group, [](const RunResult& r) -> std::optional<double> {
                 if (!wrk_measured(r)) return std::nullopt;
                 return static_cast<double>(r.wrk.errors.total());
             }), count),
        unserved_cell(group),
        cell(over_ok_runs(group, server_cpu_percent), one_decimal),
        cell(over_ok_runs(group, wrk_cpu_percent), one_decimal),
        cell(over_ok_runs(group, server_cpu_us_per_request), one_decimal),
        cell(over_ok_runs(group, [](const RunResult& r) -> std::optional<double> {
                 if (r.server_usage.processes == 0) return std::nullopt;
                 return r.server_usage.peak_rss_mib;
             }), one_decimal),
        cell(over_ok_runs(group, jain_of_connections), two_decimals),
    };
}

// ---- the document ----------------------------------------------------------

const std::vector<std::string_view> header = {
    "server", "kind", "connections", "runs ok/total", "req/s median (min–max)", "p50 ms", "p99 ms", "p99.9 ms",
    "efficiency %", "Little bound req/s", "errors", "unserved conns", "server CPU %", "wrk CPU %",
    "server CPU µs/req", "RSS MiB", "Jain",
};

void append_table_row(std::string& out, const std::vector<std::string>& cells) {
    out += '|';
    for (const std::string& c : cells) out += fmt::format(" {} |", c);
    out += '\n';
}

std::string table(std::span<const RunResult> runs) {
    std::string out;
    append_table_row(out, std::vector<std::string>(header.begin(), header.end()));
    // Text left, numbers right.
    std::vector<std::string> alignment(header.size(), "--:");
    alignment[0] = "---";
    alignment[1] = "---";
    append_table_row(out, alignment);
    for (const Group& group : group_runs(runs)) append_table_row(out, row(group));
    return out;
}

constexpr std::string_view legend =
    "Medians over the runs that succeeded. *efficiency* is req/s divided by the Little's-law bound "
    "(connections / (delay + work)); *errors* are wrk's connect, read, write, status and timeout errors "
    "together; *unserved conns* are wrk connections no worker accepted (largest over the runs); "
    "*server CPU µs/req* is the server's CPU time per response; *Jain* is the fairness of connections "
    "over workers (1 = even, 1/n = one worker took all). Rows of kind *peer* are well-known servers (peers/) "
    "run the same way; they expose no per-worker counters, so their *unserved conns* is the median length "
    "of their listen queue over the run and their *Jain* is –.\n";

std::string not_ok_runs(std::span<const RunResult> runs) {
    std::string out;
    for (const RunResult& run : runs) {
        if (run.status == RunStatus::ok) continue;
        out += fmt::format("- run {} ({}, {} connections, repetition {}): {} — {}\n", run.id, markdown_cell(run.server),
                           run.connections, run.repetition, to_string(run.status),
                           run.reason.empty() ? std::string("no reason given") : markdown_cell(run.reason));
    }
    return out.empty() ? out : "## Runs that did not succeed\n\n" + out;
}

} // namespace

std::string summary_markdown(const SummaryContext& context, std::span<const RunResult> runs) {
    std::string out = fmt::format("# {} on {}\n\n", context.scenario, context.host);
    if (!context.started_utc.empty()) out += fmt::format("Started {}.\n\n", context.started_utc);
    const std::string_view description = trim_end(context.description);
    if (!description.empty()) out += fmt::format("{}\n\n", description);
    out += context.pinning_note.empty() ? std::string("CPU pinning was not recorded.") : context.pinning_note;
    out += "\n\n";
    if (runs.empty()) return out + "No runs.\n";
    out += table(runs);
    out += '\n';
    out += legend;
    const std::string failures = not_ok_runs(runs);
    if (!failures.empty()) out += '\n' + failures;
    return out;
}

void write_summary(const std::filesystem::path& file, const std::string& markdown) {
    write_file_atomically(file, markdown);
}

} // namespace pb::harness
