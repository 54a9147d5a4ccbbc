#include "measured_fleet.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "common/child_process.hpp"
#include "measure/listen_queue.hpp"
#include "measure/tree_sampler.hpp"
#include "measure/usage_json.hpp"
#include "remote/remote_server.hpp"
#include "remote/shell_words.hpp"

namespace pb::harness {
namespace {

// The server's tree over the clients' window.
class ServerWindow {
public:
    // Sampling has begun when this returns; throws if it could not.
    ServerWindow(const RunContext& context, LaunchedServer& server, int run) {
        if (!server.remote()) {
            queue_.emplace(server.port());
            local_.emplace(server.pid(), sample_interval, [this] { queue_->sample(); });
            local_->start();
            return;
        }
        RemoteHost& host = dynamic_cast<RemoteServer&>(server).host();
        ChildSpec spec = host.session->channel({host.pb_remote().string(), "sample", "--pid", std::to_string(server.pid()),
                                                "--interval-ms", std::to_string(sample_interval.count())});
        spec.stderr_file = context.raw_dir / fmt::format("run-{:03}-server-sampler-stderr.txt", run);
        remote_ = std::make_unique<ChildProcess>(spec);
        where_ = host.name();
        const std::optional<std::string> line = remote_->read_line(std::chrono::seconds(20));
        if (!line || *line != "pb-remote: sampling")
            throw std::runtime_error(fmt::format("{}: pb-remote sample did not start: {}", where_, line.value_or("nothing")));
    }

    // The usage over the window into `result`; a sampling problem marks it suspect.
    void close(RunResult& result) {
        std::string error;
        if (local_) {
            result.server_usage = local_->stop();
            result.sampling.add(local_->cost());
            result.listen_queue = queue_->queue();
            error = local_->error();
        } else {
            // pb-remote sample prints its one line of JSON when its stdin ends.
            remote_->close_stdin();
            const std::optional<std::string> line = remote_->read_line(std::chrono::seconds(30));
            remote_->wait_for(std::chrono::seconds(5));
            try {
                const nlohmann::json json = nlohmann::json::parse(line.value_or(""));
                result.server_usage = usage_from_json(json.at("usage"));
                result.sampling.add(cost_from_json(json.at("cost")));
                error = json.at("error").get<std::string>();
            } catch (const std::exception& bad) {
                error = fmt::format("no usage from pb-remote sample on {}: {}", where_, bad.what());
            }
        }
        if (!error.empty()) mark_suspect(result, "sampling the server: " + error);
    }

private:
    std::optional<ListenQueueSampler> queue_; // before local_: its ticks use it
    std::optional<TreeSampler> local_;
    std::unique_ptr<ChildProcess> remote_;
    std::string where_;
};

// raw/run-NNN-client-K-WHAT: client K's (from 1) files of run NNN.
std::filesystem::path client_raw_file(const RunContext& context, int run, int client, const std::string& what) {
    return context.raw_dir / fmt::format("run-{:03}-client-{}-{}", run, client, what);
}

} // namespace

std::vector<FleetMember> fleet_members(const RunContext& context, int run, const std::string& prefix,
                                       const std::string& report) {
    std::vector<FleetMember> members;
    for (const ClientProcess& process : context.scenario->hosts.client_process_list()) {
        FleetMember member;
        member.name = process.name;
        member.host = process.host->local() ? nullptr : &context.remote->at(*process.host->ssh);
        if (!member.host) member.cpus = context.pinning.wrk_cpus;
        member.stdout_file = client_raw_file(context, run, process.index + 1, prefix + "stdout.txt");
        member.stderr_file = client_raw_file(context, run, process.index + 1, prefix + "stderr.txt");
        if (!report.empty()) {
            member.report = client_raw_file(context, run, process.index + 1, report);
            member.remote_report = member.host ? context.remote_dir / member.report.filename() : member.report;
        }
        members.push_back(std::move(member));
    }
    return members;
}

ClientFleet fleet_of(const RunContext& context, int run, std::vector<FleetMember> members) {
    return ClientFleet(std::move(members), context.build_dir / "harness" / "pb-remote",
                       fmt::format("{}.{}", context.run_marker, run), fmt::format("{}.{}", context.remote_marker, run));
}

double shortest_round_trip(const std::vector<FleetMember>& members, const LaunchedServer& server) {
    const RemoteHost* server_host = server.remote() ? &dynamic_cast<const RemoteServer&>(server).host() : nullptr;
    std::optional<double> shortest;
    for (const FleetMember& member : members) {
        const RemoteHost* far = member.host ? member.host : server_host;
        const double trip = far ? far->link.rtt_min_ms : 0;
        shortest = std::min(shortest.value_or(trip), trip);
    }
    return shortest.value_or(0);
}

FleetOutcome run_measured_fleet(const RunContext& context, LaunchedServer& server, int run,
                                std::vector<FleetMember> members, std::chrono::nanoseconds limit, RunResult& result) {
    for (const FleetMember& member : members) result.fleet.clients.push_back(member.name + ": " + shell_line(member.argv));
    result.wrk_command = members.front().argv;
    result.fleet.round_trip_ms = shortest_round_trip(members, server);
    ClientFleet fleet = fleet_of(context, run, std::move(members));
    ServerWindow window(context, server, run);
    try {
        fleet.start();
        fleet.wait(limit, context.interrupted);
    } catch (...) {
        try {
            window.close(result);
        } catch (const std::exception&) {
            // the clients' failure is the one to report
        }
        throw;
    }
    window.close(result);
    FleetOutcome outcome = fleet.collect();
    result.wrk_usage = outcome.usage;
    result.sampling.add(outcome.sampling);
    result.fleet.start_skew_ms = outcome.start_skew_ms;
    result.fleet.clock_uncertainty_ms = outcome.clock_uncertainty_ms;
    for (const std::string& problem : outcome.problems) mark_suspect(result, problem);
    return outcome;
}

} // namespace pb::harness
