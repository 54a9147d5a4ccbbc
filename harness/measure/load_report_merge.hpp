#pragma once
// One report of several prefork-load processes (on one host or several) that
// ran the same run side by side: the counts summed, the rates added, and the
// latency and send-lateness histograms merged exactly (load/latency_histogram:
// the merged percentiles are those of one generator that had sent every
// request). What cannot be merged exactly is taken conservatively and named
// under "not_exact". The result has the shape of one process's report
// (parse_open_load_report reads it), plus "clients": each input's figures.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pb::harness {

struct ClientReport {
    std::string name;       // "local#1", "ssh://root@198.18.0.3#2": which process
    nlohmann::json report;  // as prefork-load wrote it (--json)
};

// Throws std::runtime_error naming the client and the key that is missing or bad.
nlohmann::json merge_load_reports(const std::vector<ClientReport>& clients);

} // namespace pb::harness
