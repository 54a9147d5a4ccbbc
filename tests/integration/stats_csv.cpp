#include "stats_csv.hpp"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace itest {
namespace {

std::vector<std::string> split(const std::string& line, char separator) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, separator)) fields.push_back(field);
    if (!line.empty() && line.back() == separator) fields.emplace_back();
    return fields;
}

} // namespace

std::uint64_t StatsFile::sum(const std::string& column) const {
    std::uint64_t total = 0;
    for (const auto& row : rows) {
        auto it = row.find(column);
        if (it != row.end()) total += it->second;
    }
    return total;
}

std::optional<StatsFile> read_stats(const std::string& path, std::string& error) {
    std::ifstream file(path);
    if (!file) {
        error = "no stats file at " + path;
        return std::nullopt;
    }
    StatsFile stats;
    std::getline(file, stats.header);
    std::vector<std::string> columns = split(stats.header, ',');
    std::string line;
    int number = 1;
    while (std::getline(file, line)) {
        ++number;
        if (line.empty()) continue;
        std::vector<std::string> fields = split(line, ',');
        if (fields.size() != columns.size()) {
            error += "line " + std::to_string(number) + " has " + std::to_string(fields.size()) + " fields, the header " +
                     std::to_string(columns.size()) + ": '" + line + "'\n";
            continue;
        }
        std::map<std::string, std::uint64_t> row;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            std::uint64_t value = 0;
            const std::string& field = fields[i];
            auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
            if (ec != std::errc() || ptr != field.data() + field.size() || field.empty())
                error += "line " + std::to_string(number) + ": '" + field + "' in column " + columns[i] +
                         " is not a number\n";
            row[columns[i]] = value;
        }
        stats.rows.push_back(std::move(row));
    }
    return stats;
}

TempPath::TempPath(const std::string& stem) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             (stem + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + ".csv"))
                .string();
    std::filesystem::remove(path_);
}

TempPath::~TempPath() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    // A writer that writes to a temporary and renames may leave one behind
    // when it fails; clean up "<name>.*" next to the path too.
    std::filesystem::path path(path_);
    for (const auto& entry : std::filesystem::directory_iterator(path.parent_path(), ignored)) {
        std::string name = entry.path().filename().string();
        if (name.rfind(path.filename().string() + ".", 0) == 0) std::filesystem::remove(entry.path(), ignored);
    }
}

} // namespace itest
