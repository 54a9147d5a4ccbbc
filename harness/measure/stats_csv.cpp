#include "measure/stats_csv.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pb::harness {

namespace {

// One column the harness needs and where its value goes.
struct Column {
    const char* name;
    void (*store)(WorkerRow& row, std::uint64_t value);
};

// The counters are unsigned 64-bit; worker and pid are small ints, checked
// against int's range when stored.
const Column columns[] = {
    {"worker", [](WorkerRow& r, std::uint64_t v) { r.worker = static_cast<int>(v); }},
    {"pid", [](WorkerRow& r, std::uint64_t v) { r.pid = static_cast<int>(v); }},
#define PB_COUNTER_COLUMN(name, meaning) {#name, [](WorkerRow& r, std::uint64_t v) { r.name = v; }},
    PB_WORKER_COUNTERS(PB_COUNTER_COLUMN)
#undef PB_COUNTER_COLUMN
};

bool is_int_column(std::string_view name) { return name == "worker" || name == "pid"; }

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = line.find(',', start);
        if (comma == std::string_view::npos) {
            fields.push_back(line.substr(start));
            return fields;
        }
        fields.push_back(line.substr(start, comma - start));
        start = comma + 1;
    }
}

std::string_view trim_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

class StatsReader {
public:
    explicit StatsReader(const std::filesystem::path& file) : file_(file) {}

    [[noreturn]] void fail(int line, const std::string& what) const {
        throw std::runtime_error(fmt::format("stats file {}, line {}: {}", file_.string(), line, what));
    }

    // Index of every needed column in the header.
    void read_header(std::string_view header) {
        const std::vector<std::string_view> names = split_fields(trim_cr(header));
        field_count_ = names.size();
        for (const Column& column : columns) {
            auto found = std::find(names.begin(), names.end(), column.name);
            if (found == names.end())
                fail(1, fmt::format("missing column '{}' in header '{}'", column.name, trim_cr(header)));
            positions_.push_back(static_cast<std::size_t>(found - names.begin()));
        }
    }

    WorkerRow read_row(std::string_view text, int line) const {
        const std::vector<std::string_view> fields = split_fields(trim_cr(text));
        if (fields.size() != field_count_)
            fail(line, fmt::format("expected {} fields as in the header, got {}", field_count_, fields.size()));
        WorkerRow row;
        for (std::size_t i = 0; i < positions_.size(); ++i) {
            const Column& column = columns[i];
            column.store(row, value(fields[positions_[i]], column.name, line));
        }
        return row;
    }

private:
    std::uint64_t value(std::string_view field, const char* name, int line) const {
        std::uint64_t result = 0;
        const char* end = field.data() + field.size();
        auto [stop, error] = std::from_chars(field.data(), end, result);
        if (field.empty() || error != std::errc() || stop != end)
            fail(line, fmt::format("column '{}': expected an unsigned integer, got '{}'", name, field));
        if (is_int_column(name) && result > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
            fail(line, fmt::format("column '{}': value {} is out of range", name, field));
        return result;
    }

    std::filesystem::path file_;
    std::vector<std::size_t> positions_; // per entry of `columns`
    std::size_t field_count_ = 0;
};

std::uint64_t minus(std::uint64_t final_value, std::uint64_t baseline) {
    // The counters only grow (slots survive respawns), so a smaller final
    // value would be a server bug; 0 beats a wrapped 1.8e19.
    return final_value > baseline ? final_value - baseline : 0;
}

WorkerRow delta(const WorkerRow& final_row, const WorkerRow& baseline) {
    WorkerRow d = final_row;
#define PB_COUNTER_DELTA(name, meaning) d.name = minus(final_row.name, baseline.name);
    PB_WORKER_COUNTERS(PB_COUNTER_DELTA)
#undef PB_COUNTER_DELTA
    return d;
}

} // namespace

std::vector<WorkerRow> read_stats_csv(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(fmt::format("stats file {}: cannot open", file.string()));
    StatsReader reader(file);
    std::string text;
    if (!std::getline(in, text)) throw std::runtime_error(fmt::format("stats file {}: empty, expected a header", file.string()));
    reader.read_header(text);
    std::vector<WorkerRow> rows;
    for (int line = 2; std::getline(in, text); ++line) {
        if (trim_cr(text).empty()) continue; // a trailing blank line is not a worker
        rows.push_back(reader.read_row(text, line));
    }
    return rows;
}

std::vector<WorkerRow> subtract(const std::vector<WorkerRow>& final_rows, const std::vector<WorkerRow>& baseline) {
    std::vector<WorkerRow> result;
    result.reserve(final_rows.size());
    for (const WorkerRow& row : final_rows) {
        auto before = std::find_if(baseline.begin(), baseline.end(), [&](const WorkerRow& b) { return b.worker == row.worker; });
        result.push_back(before == baseline.end() ? row : delta(row, *before));
    }
    return result;
}

} // namespace pb::harness
