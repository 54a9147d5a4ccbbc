#include "open_fleet.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <stdexcept>

#include "client_fleet.hpp"
#include "measure/load_report_merge.hpp"
#include "open_load.hpp"
#include "measured_fleet.hpp"

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

} // namespace

bool uses_fleet(const Scenario& scenario) { return scenario.hosts.remote() || scenario.hosts.client_processes() > 1; }

void run_open_fleet(const RunContext& context, LaunchedServer& server, const PlannedRun& planned,
                    const std::filesystem::path& merged_report, RunResult& result) {
    const ServerSpec& spec = context.scenario->servers[planned.server];
    std::vector<FleetMember> members = members_of(context, server, planned);
    std::vector<std::string> names;
    for (const FleetMember& member : members) names.push_back(member.name);
    const FleetOutcome outcome =
        run_measured_fleet(context, server, planned.id, std::move(members), run_limit(context, spec, planned), result);
    std::vector<ClientReport> reports;
    for (std::size_t i = 0; i < outcome.reports.size(); ++i) reports.push_back({names[i], outcome.reports[i]});
    std::ofstream(merged_report) << merge_load_reports(reports).dump(2) << "\n";
}

} // namespace pb::harness
