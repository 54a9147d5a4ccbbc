#include "open_fleet.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <stdexcept>

#include "client_fleet.hpp"
#include "measure/load_report_merge.hpp"
#include "measure/tree_sampler.hpp"
#include "measure/usage_json.hpp"
#include "open_load.hpp"
#include "remote/remote_server.hpp"
#include "remote/shell_words.hpp"

namespace pb::harness {
namespace {

using std::chrono::milliseconds;

std::filesystem::path raw_file(const RunContext& context, int run, int client, const char* what) {
    return context.raw_dir / fmt::format("run-{:03}-client-{}-{}", run, client, what);
}

std::vector<FleetMember> members_of(const RunContext& context, const LaunchedServer& server, const PlannedRun& planned) {
    const Scenario& scenario = *context.scenario;
    const ServerSpec& spec = scenario.servers[planned.server];
    const Hosts& hosts = scenario.hosts;
    std::vector<FleetMember> members;
    LoadPart part;
    part.of = hosts.client_processes();
    part.server = server.remote() ? server.address() : hosts.address_for_clients();
    for (const ClientHost& client : hosts.clients)
        for (int k = 0; k < client.processes; ++k, ++part.index) {
            FleetMember member;
            const int number = part.index + 1;
            member.name = fmt::format("{}#{}", client.host.name(), k + 1);
            member.host = client.host.local() ? nullptr : &context.remote->at(*client.host.ssh);
            member.report = raw_file(context, planned.id, number, "load-report.json");
            member.stdout_file = raw_file(context, planned.id, number, "stdout.txt");
            member.stderr_file = raw_file(context, planned.id, number, "stderr.txt");
            LoadPart mine = part;
            mine.pin = member.host == nullptr;
            if (member.host) {
                mine.program = member.host->prepared.build_dir / "load" / "prefork-load";
                member.remote_report = context.remote_dir / member.report.filename();
            } else {
                member.cpus = context.pinning.wrk_cpus;
            }
            member.argv = load_command(context, spec, planned, server.port(),
                                       member.host ? member.remote_report : member.report, mine);
            members.push_back(std::move(member));
        }
    return members;
}

// The server's tree over the clients' window: on its host (pb-remote sample)
// or here.
class ServerWindow {
public:
    ServerWindow(const RunContext& context, LaunchedServer& server, int run) {
        if (!server.remote()) {
            local_.emplace(server.pid(), sample_interval);
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

    // The usage over the window; a sampling problem is returned as `error`.
    void close(RunResult& result) {
        std::string error;
        if (local_) {
            result.server_usage = local_->stop();
            result.sampling.add(local_->cost());
            error = local_->error();
        } else {
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
    std::optional<TreeSampler> local_;
    std::unique_ptr<ChildProcess> remote_;
    std::string where_;
};

} // namespace

bool uses_fleet(const Scenario& scenario) { return scenario.hosts.remote() || scenario.hosts.client_processes() > 1; }

void run_open_fleet(const RunContext& context, LaunchedServer& server, const PlannedRun& planned,
                    const std::filesystem::path& merged_report, RunResult& result) {
    const ServerSpec& spec = context.scenario->servers[planned.server];
    std::vector<FleetMember> members = members_of(context, server, planned);
    for (const FleetMember& member : members) result.open.clients.push_back(member.name + ": " + shell_line(member.argv));
    result.wrk_command = members.front().argv;
    const std::string run_marker = fmt::format("{}.{}", context.run_marker, planned.id);
    const std::string remote_marker = fmt::format("{}.{}", context.remote_marker, planned.id);
    std::vector<std::string> names;
    for (const FleetMember& member : members) names.push_back(member.name);
    ClientFleet fleet(std::move(members), context.build_dir / "harness" / "pb-remote", run_marker, remote_marker);
    ServerWindow window(context, server, planned.id);
    fleet.start();
    try {
        fleet.wait(run_limit(context, spec, planned), context.interrupted);
    } catch (...) {
        window.close(result);
        throw;
    }
    window.close(result);
    const FleetOutcome outcome = fleet.collect();
    result.wrk_usage = outcome.usage;
    result.sampling.add(outcome.sampling);
    result.open.start_skew_ms = outcome.start_skew_ms;
    result.open.clock_uncertainty_ms = outcome.clock_uncertainty_ms;
    for (const std::string& problem : outcome.problems) mark_suspect(result, problem);
    std::vector<ClientReport> reports;
    for (std::size_t i = 0; i < outcome.reports.size(); ++i) reports.push_back({names[i], outcome.reports[i]});
    std::ofstream(merged_report) << merge_load_reports(reports).dump(2) << "\n";
}

} // namespace pb::harness
