#pragma once
// Reads the --stats CSV file and a unique temporary path to write it to.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace itest {

// The file starts with these two columns, then the counters. The tests name
// the counters they need and accept more: a counter added to the list in
// common/worker_counter_list.hpp needs no change here.
inline constexpr const char* stats_header_start = "worker,pid,";
inline const std::vector<std::string> required_stats_columns = {
    "connections", "requests", "responses_2xx", "responses_4xx", "responses_5xx", "parse_errors",
    "timeouts",    "bytes_in", "bytes_out",     "accept_errors", "respawns"};

struct StatsFile {
    std::string header;
    std::vector<std::map<std::string, std::uint64_t>> rows; // column -> value
    std::uint64_t sum(const std::string& column) const;
};

// Nothing if the file is missing; `error` says what is wrong with its shape
// (a row whose field count or numbers do not match the header).
std::optional<StatsFile> read_stats(const std::string& path, std::string& error);

// A path in the temporary directory that does not exist yet; removed (and any
// "<path>.*" temporaries next to it) when this object goes.
class TempPath {
public:
    explicit TempPath(const std::string& stem);
    ~TempPath();
    TempPath(const TempPath&) = delete;
    TempPath& operator=(const TempPath&) = delete;
    const std::string& str() const { return path_; }

private:
    std::string path_;
};

} // namespace itest
