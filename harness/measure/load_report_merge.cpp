#include "measure/load_report_merge.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

#include "load/latency_histogram.hpp"

namespace pb::harness {
namespace {

using nlohmann::json;
using pb::load::LatencyHistogram;

constexpr std::pair<const char*, double> percentiles[] = {{"50", 50},     {"90", 90},       {"99", 99},
                                                          {"99.9", 99.9}, {"99.99", 99.99}, {"100", 100}};

LatencyHistogram histogram_from(const json& histogram) {
    std::vector<LatencyHistogram::Bucket> buckets;
    for (const json& bucket : histogram.at("buckets"))
        buckets.push_back({bucket.at(0).get<std::uint64_t>(), bucket.at(1).get<std::uint64_t>()});
    return LatencyHistogram::from_buckets(buckets, histogram.at("min_us").get<std::uint64_t>(),
                                          histogram.at("max_us").get<std::uint64_t>(),
                                          histogram.at("saturated").get<std::uint64_t>());
}

json histogram_json(const LatencyHistogram& histogram) {
    json buckets = json::array();
    for (const LatencyHistogram::Bucket& bucket : histogram.buckets()) buckets.push_back({bucket.value_us, bucket.count});
    return {{"unit", "us"},           {"significant_digits", 3},        {"count", histogram.count()},
            {"min_us", histogram.min()}, {"max_us", histogram.max()}, {"saturated", histogram.saturated()},
            {"buckets", buckets}};
}

json percentiles_json(const LatencyHistogram& histogram) {
    json out = json::object();
    for (const auto& [key, p] : percentiles) out[key] = histogram.value_at_percentile(p);
    return out;
}

template <typename T>
T sum(const std::vector<ClientReport>& clients, const json::json_pointer& key) {
    T total{};
    for (const ClientReport& client : clients) total += client.report.at(key).get<T>();
    return total;
}

template <typename T>
T largest(const std::vector<ClientReport>& clients, const json::json_pointer& key) {
    T most{};
    for (const ClientReport& client : clients) most = std::max(most, client.report.at(key).get<T>());
    return most;
}

json merged(const std::vector<ClientReport>& clients) {
    const json& first = clients.front().report;
    LatencyHistogram latency, lateness;
    for (const ClientReport& client : clients) {
        latency.merge(histogram_from(client.report.at("histogram")));
        lateness.merge(histogram_from(client.report.at("lateness_histogram")));
    }
    const double duration = largest<double>(clients, "/duration_s"_json_pointer);
    const auto completed = sum<std::uint64_t>(clients, "/completed"_json_pointer);
    const auto scheduled = sum<std::uint64_t>(clients, "/scheduled"_json_pointer);
    json errors = json::object();
    for (const char* kind : {"connect", "read", "write", "timeout", "status"})
        errors[kind] = sum<std::uint64_t>(clients, json::json_pointer(std::string("/errors/") + kind));
    // A merged connect-time spectrum would need its histogram, which the
    // report does not carry: the slowest client's figures instead.
    json connect = json::object();
    for (const auto& [key, p] : percentiles)
        connect[key] = largest<std::uint64_t>(clients, json::json_pointer(std::string("/connect_us/") + key));
    std::string reasons;
    bool bound = false;
    json each = json::array();
    json seeds = json::array();
    for (const ClientReport& client : clients) {
        const json& r = client.report;
        if (r.at("client_bound").get<bool>()) {
            bound = true;
            reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", client.name, r.at("client_bound_reason").get<std::string>());
        }
        seeds.push_back(r.at("seed"));
        each.push_back({{"client", client.name},
                        {"seed", r.at("seed")},
                        {"connections", r.at("connections")},
                        {"offered_rate", r.at("offered_rate")},
                        {"achieved_rate", r.at("achieved_rate")},
                        {"completed", r.at("completed")},
                        {"percentiles_us", r.at("percentiles_us")},
                        {"send_lateness_us", r.at("send_lateness_us")},
                        {"client_bound", r.at("client_bound")},
                        {"generator_cpu_s", r.at("generator_cpu_s")},
                        {"wall_s", r.at("wall_s")}});
    }
    return {
        {"url", first.at("url")},
        {"mode", first.at("mode")},
        {"arrival", first.at("arrival")},
        {"costs", first.at("costs")},
        {"seed", first.at("seed")},
        {"seeds", seeds},
        {"connections", sum<int>(clients, "/connections"_json_pointer)},
        {"threads", sum<int>(clients, "/threads"_json_pointer)},
        {"connect_per_request", first.at("connect_per_request")},
        {"duration_s", duration},
        {"warmup_s", first.at("warmup_s")},
        {"offered_rate", sum<double>(clients, "/offered_rate"_json_pointer)},
        {"achieved_rate", duration > 0 ? static_cast<double>(completed) / duration : 0.0},
        {"scheduled", scheduled},
        {"scheduled_rate", duration > 0 ? static_cast<double>(scheduled) / duration : 0.0},
        {"sent", sum<std::uint64_t>(clients, "/sent"_json_pointer)},
        {"completed", completed},
        {"errors", errors},
        {"percentiles_us", percentiles_json(latency)},
        {"mean_us", latency.mean()},
        {"send_lateness_us", percentiles_json(lateness)},
        {"connect_us", connect},
        {"client_queue",
         {{"queued", sum<std::uint64_t>(clients, "/client_queue/queued"_json_pointer)},
          {"longest_wait_us", largest<std::uint64_t>(clients, "/client_queue/longest_wait_us"_json_pointer)},
          {"largest_backlog", largest<std::uint64_t>(clients, "/client_queue/largest_backlog"_json_pointer)}}},
        {"reconnects", sum<std::uint64_t>(clients, "/reconnects"_json_pointer)},
        {"connect_failures", sum<std::uint64_t>(clients, "/connect_failures"_json_pointer)},
        {"measured_sent", sum<std::uint64_t>(clients, "/measured_sent"_json_pointer)},
        {"client_bound", bound},
        {"client_bound_reason", reasons},
        {"generator_cpu_s", sum<double>(clients, "/generator_cpu_s"_json_pointer)},
        {"wall_s", largest<double>(clients, "/wall_s"_json_pointer)},
        {"histogram", histogram_json(latency)},
        {"lateness_histogram", histogram_json(lateness)},
        {"merged_from", clients.size()},
        {"not_exact", {{"connect_us", "the largest of the clients' percentiles (no connect histogram is reported)"},
                       {"duration_s", "the longest client's measured window"}}},
        {"clients", each},
    };
}

} // namespace

json merge_load_reports(const std::vector<ClientReport>& clients) {
    if (clients.empty()) throw std::runtime_error("no client report to merge");
    for (const ClientReport& client : clients)
        if (!client.report.is_object()) throw std::runtime_error(fmt::format("{}: its report is not a JSON object", client.name));
    try {
        return merged(clients);
    } catch (const json::exception& error) {
        throw std::runtime_error(fmt::format("merging the clients' reports: {}", error.what()));
    } catch (const std::invalid_argument& error) {
        throw std::runtime_error(fmt::format("merging the clients' reports: {}", error.what()));
    }
}

} // namespace pb::harness
