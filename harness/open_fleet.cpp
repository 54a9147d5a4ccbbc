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

std::vector<FleetMember> members_of(const RunContext& context, const LaunchedServer& server, const PlannedRun& planned) {
    const Scenario& scenario = *context.scenario;
    const ServerSpec& spec = scenario.servers[planned.server];
    const Hosts& hosts = scenario.hosts;
    std::vector<FleetMember> members = fleet_members(context, planned.id, "", "load-report.json");
    LoadPart part;
    part.of = static_cast<int>(members.size());
    part.server = server.remote() ? server.address() : hosts.address_for_clients();
    for (FleetMember& member : members) {
        LoadPart mine = part;
        mine.pin = member.host == nullptr;
        if (member.host) mine.program = member.host->prepared.build_dir / "load" / "prefork-load";
        member.argv = load_command(context, spec, planned, server.port(), member.remote_report, mine);
        ++part.index;
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
