#include "measure/open_load_report.hpp"

#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace pb::harness {
namespace {

constexpr std::pair<const char*, double> percentile_keys[] = {{"50", 50},     {"90", 90},       {"99", 99},
                                                              {"99.9", 99.9}, {"99.99", 99.99}, {"100", 100}};

} // namespace

OpenLoadReport parse_open_load_report(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(fmt::format("{}: prefork-load wrote no report", file.string()));
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(in);
        OpenLoadReport report;
        WrkReport& load = report.load;
        load.duration_s = json.at("duration_s").get<double>();
        load.requests = json.at("completed").get<std::uint64_t>();
        const nlohmann::json& errors = json.at("errors");
        load.errors.connect = errors.at("connect").get<std::uint64_t>();
        load.errors.read = errors.at("read").get<std::uint64_t>();
        load.errors.write = errors.at("write").get<std::uint64_t>();
        load.errors.timeout = errors.at("timeout").get<std::uint64_t>();
        load.errors.status = errors.at("status").get<std::uint64_t>();
        for (const auto& [key, p] : percentile_keys)
            load.percentiles.push_back({p, json.at("percentiles_us").at(key).get<double>() / 1000.0});
        load.latency_max_ms = json.at("percentiles_us").at("100").get<double>() / 1000.0;
        load.latency_mean_ms = json.at("mean_us").get<double>() / 1000.0;
        report.offered_rate = json.at("offered_rate").get<double>();
        report.achieved_rate = json.at("achieved_rate").get<double>();
        report.scheduled = json.at("scheduled").get<std::uint64_t>();
        report.lateness_p50_us = json.at("send_lateness_us").at("50").get<double>();
        report.lateness_p99_us = json.at("send_lateness_us").at("99").get<double>();
        report.queued = json.at("client_queue").at("queued").get<std::uint64_t>();
        report.wall_s = json.value("wall_s", 0.0);
        report.client_bound = json.at("client_bound").get<bool>();
        report.client_bound_reason = json.at("client_bound_reason").get<std::string>();
        return report;
    } catch (const nlohmann::json::exception& error) {
        throw std::runtime_error(fmt::format("{}: {}", file.string(), error.what()));
    }
}

} // namespace pb::harness
