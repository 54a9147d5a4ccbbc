#include "wrk_fleet.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <map>
#include <stdexcept>

#include "client_fleet.hpp"
#include "host/host_info.hpp"
#include "measure/wrk_report_merge.hpp"
#include "open_load.hpp"
#include "results/metrics.hpp"
#include "measured_fleet.hpp"

namespace pb::harness {
namespace {

struct Phase {
    const char* prefix;                // "" (measured) or "warmup-"
    std::chrono::nanoseconds duration;
    bool report;                       // report.lua writes its JSON
};

std::vector<FleetMember> members_of(const RunContext& context, const LaunchedServer& server, const RunResult& result,
                                    const Phase& phase) {
    const Scenario& scenario = *context.scenario;
    const Hosts& hosts = scenario.hosts;
    const std::string server_host = server.remote() ? server.address() : hosts.address_for_clients();
    std::vector<FleetMember> members =
        fleet_members(context, result.id, phase.prefix, phase.report ? "wrk-report.json" : "");
    const int processes = static_cast<int>(members.size());
    for (int index = 0; index < processes; ++index) {
        FleetMember& member = members[static_cast<std::size_t>(index)];
        member.program = "wrk";
        if (!phase.report) member.name += " (warm-up)";
        WrkPlace place{context.wrk_path, context.wrk_script, server_host};
        if (member.host) {
            place.program = member.host->wrk;
            place.script = member.host->prepared.build_dir / "harness" / "report.lua";
        }
        if (phase.report) member.env.push_back("PREFORK_BENCH_REPORT=" + member.remote_report.string());
        // Set for every wrk, 1 too (runner.cpp's wrk_spec says why).
        member.env.push_back(fmt::format("PREFORK_BENCH_PIPELINE={}", scenario.wrk.pipeline));
        member.argv = wrk_command(context, part_connections(result.connections, part_of(index, processes)), phase.duration,
                                  server.port(), place);
    }
    return members;
}

// The kernel a member runs on: hosts with one boot_id (namespaces,
// containers of one machine) share its CPUs and are judged together.
std::string machine_of(const FleetMember& member) {
    static const std::string here = host_facts().value("boot_id", std::string("local"));
    if (!member.host) return here;
    const auto id = member.host->facts.find("boot_id");
    return id != member.host->facts.end() && id->is_string() ? id->get<std::string>() : member.host->name();
}

// The client-bound verdict machine by machine: the CPU its wrk processes
// used over the measured window against the CPUs their threads could fill
// there.
void judge_clients(const RunContext& context, const std::vector<FleetMember>& members,
                   const std::vector<std::optional<ProcessUsage>>& usages, const std::vector<WrkReport>& reports,
                   RunResult& result) {
    std::map<std::string, MachineLoad> machines;
    std::map<std::string, std::vector<std::string>> hosts; // of each machine, in order
    for (std::size_t i = 0; i < members.size(); ++i) {
        const std::string id = machine_of(members[i]);
        MachineLoad& machine = machines[id];
        const std::string name = members[i].host ? members[i].host->name() : "local";
        if (std::find(hosts[id].begin(), hosts[id].end(), name) == hosts[id].end()) hosts[id].push_back(name);
        // A member here may be pinned to fewer CPUs than the machine has.
        const int cpus = members[i].host ? members[i].host->facts.value("online_cpus", 0) : context.wrk_cpus;
        machine.cpus = std::max(machine.cpus, cpus);
        machine.threads += context.scenario->wrk.threads;
        machine.window_s = std::max(machine.window_s, reports[i].duration_s);
        if (usages[i]) machine.cpu_s += usages[i]->cpu_s();
        else machine.known = false;
    }
    std::vector<MachineLoad> loads;
    for (auto& [id, machine] : machines) {
        machine.names = fmt::format("{}", fmt::join(hosts[id], " and "));
        loads.push_back(machine);
    }
    if (const std::optional<ClientBound> verdict = client_bound_by_machine(loads)) {
        result.fleet.client_bound = verdict->bound;
        result.fleet.client_bound_reason = verdict->reason;
    }
}

// The start barrier's lead comes on top of the run's own limit.
constexpr std::chrono::seconds barrier_allowance{10};

} // namespace

void warm_up_wrk_fleet(const RunContext& context, LaunchedServer& server, RunResult& result) {
    const Scenario& scenario = *context.scenario;
    ClientFleet warmup = fleet_of(context, result.id, members_of(context, server, result, {"warmup-", scenario.warmup, false}));
    warmup.start();
    warmup.wait(scenario.warmup + std::chrono::seconds(30) + barrier_allowance, context.interrupted);
    warmup.collect(); // every warm-up's exit checked
}

void run_wrk_fleet(const RunContext& context, LaunchedServer& server, RunResult& result) {
    const Scenario& scenario = *context.scenario;
    const std::vector<FleetMember> members = members_of(context, server, result, {"", scenario.wrk.duration, true});
    const FleetOutcome outcome =
        run_measured_fleet(context, server, result.id, members, effective_run_timeout(scenario) + barrier_allowance, result);
    for (const FleetMember& member : members) result.fleet.wrk_reports.push_back(parse_wrk_report(member.report));
    result.wrk = merge_wrk_reports(result.fleet.wrk_reports);
    judge_clients(context, members, outcome.usages, result.fleet.wrk_reports, result);
}

} // namespace pb::harness
