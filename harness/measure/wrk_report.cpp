#include "measure/wrk_report.hpp"

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

namespace pb::harness {

namespace {

using nlohmann::json;

constexpr double microseconds_per_ms = 1e3;
constexpr double microseconds_per_s = 1e6;

// Errors carry the file and the JSON path of the key ("errors.timeout") so
// that a bad report can be found without a debugger.
class Reader {
public:
    explicit Reader(std::filesystem::path file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        throw std::runtime_error(fmt::format("wrk report {}: key '{}': {}", file_.string(), key, what));
    }

    const json& member(const json& object, const std::string& parent, const char* name) const {
        auto found = object.find(name);
        if (found == object.end()) fail(join(parent, name), "missing");
        return *found;
    }

    const json& object(const json& parent_object, const std::string& parent, const char* name) const {
        const json& value = member(parent_object, parent, name);
        if (!value.is_object()) fail(join(parent, name), "expected an object");
        return value;
    }

    double number(const json& value, const std::string& key) const {
        if (!value.is_number()) fail(key, fmt::format("expected a number, got {}", value.dump()));
        const double x = value.get<double>();
        if (!std::isfinite(x) || x < 0) fail(key, fmt::format("expected a non-negative number, got {}", value.dump()));
        return x;
    }

    double number(const json& parent_object, const std::string& parent, const char* name) const {
        return number(member(parent_object, parent, name), join(parent, name));
    }

    std::uint64_t count(const json& parent_object, const std::string& parent, const char* name) const {
        const std::string key = join(parent, name);
        const json& value = member(parent_object, parent, name);
        if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0))
            fail(key, fmt::format("expected a non-negative integer, got {}", value.dump()));
        return value.get<std::uint64_t>();
    }

    static std::string join(const std::string& parent, const char* name) {
        return parent.empty() ? std::string(name) : parent + "." + name;
    }

private:
    std::filesystem::path file_;
};

json load(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(fmt::format("wrk report {}: cannot open", file.string()));
    std::ostringstream text;
    text << in.rdbuf();
    try {
        json document = json::parse(text.str());
        if (!document.is_object())
            throw std::runtime_error(fmt::format("wrk report {}: expected a JSON object", file.string()));
        return document;
    } catch (const json::parse_error& error) {
        throw std::runtime_error(fmt::format("wrk report {}: not valid JSON: {}", file.string(), error.what()));
    }
}

WrkReport::Errors read_errors(const Reader& reader, const json& document) {
    const json& errors = reader.object(document, "", "errors");
    WrkReport::Errors result;
    result.connect = reader.count(errors, "errors", "connect");
    result.read = reader.count(errors, "errors", "read");
    result.write = reader.count(errors, "errors", "write");
    result.status = reader.count(errors, "errors", "status");
    result.timeout = reader.count(errors, "errors", "timeout");
    return result;
}

void read_latency(const Reader& reader, const json& document, WrkReport& report) {
    const json& latency = reader.object(document, "", "latency_us");
    report.latency_min_ms = reader.number(latency, "latency_us", "min") / microseconds_per_ms;
    report.latency_mean_ms = reader.number(latency, "latency_us", "mean") / microseconds_per_ms;
    report.latency_stdev_ms = reader.number(latency, "latency_us", "stdev") / microseconds_per_ms;
    report.latency_max_ms = reader.number(latency, "latency_us", "max") / microseconds_per_ms;
}

std::vector<Percentile> read_percentiles(const Reader& reader, const json& document) {
    const json& rows = reader.member(document, "", "percentiles");
    if (!rows.is_array() || rows.empty()) reader.fail("percentiles", "expected a non-empty array of [percentile, latency_us]");
    std::vector<Percentile> result;
    result.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string key = fmt::format("percentiles[{}]", i);
        const json& row = rows[i];
        if (!row.is_array() || row.size() != 2) reader.fail(key, "expected [percentile, latency_us]");
        Percentile p;
        p.percentile = reader.number(row[0], key + "[0]");
        p.latency_ms = reader.number(row[1], key + "[1]") / microseconds_per_ms;
        if (p.percentile > 100) reader.fail(key + "[0]", fmt::format("expected a percentile up to 100, got {}", p.percentile));
        if (!result.empty() && p.percentile <= result.back().percentile)
            reader.fail(key + "[0]", "expected percentiles in ascending order");
        result.push_back(p);
    }
    return result;
}

} // namespace

WrkReport parse_wrk_report(const std::filesystem::path& file) {
    const json document = load(file);
    const Reader reader(file);
    WrkReport report;
    report.duration_s = reader.number(document, "", "duration_us") / microseconds_per_s;
    report.requests = reader.count(document, "", "requests");
    report.bytes = reader.count(document, "", "bytes");
    report.errors = read_errors(reader, document);
    read_latency(reader, document, report);
    report.percentiles = read_percentiles(reader, document);
    return report;
}

double WrkReport::latency_at(double percentile) const {
    // report.lua writes the percentiles with %g, so they parse to the same
    // doubles as the literals callers pass; the tolerance only forgives
    // arithmetic such as 100 - 0.1.
    constexpr double tolerance = 1e-9;
    for (const Percentile& p : percentiles)
        if (std::abs(p.percentile - percentile) < tolerance) return p.latency_ms;
    return std::nan("");
}

} // namespace pb::harness
