#include "wrk_fleet.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <map>
#include <stdexcept>

#include "client_fleet.hpp"
#include "host/host_info.hpp"
#include "measure/wrk_report_merge.hpp"
#include "remote/remote_server.hpp"
#include "results/metrics.hpp"
#include "measured_fleet.hpp"

namespace pb::harness {
namespace {

struct Phase {
    const char* prefix;                // "" (measured) or "warmup-"
    std::chrono::nanoseconds duration;
    bool report;                       // report.lua writes its JSON
};

std::filesystem::path raw_file(const RunContext& context, int run, int client, const std::string& what) {
    return context.raw_dir / fmt::format("run-{:03}-client-{}-{}", run, client, what);
}

// Connections c over n processes: c / n each, the first c % n one more.
int share_of(int connections, int processes, int index) {
    return connections / processes + (index < connections % processes ? 1 : 0);
}

std::vector<FleetMember> members_of(const RunContext& context, const LaunchedServer& server, const RunResult& result,
                                    const Phase& phase) {
    const Scenario& scenario = *context.scenario;
    const Hosts& hosts = scenario.hosts;
    const int processes = hosts.client_processes();
    const std::string server_host = server.remote() ? server.address() : hosts.address_for_clients();
    std::vector<FleetMember> members;
    int index = 0;
    for (const ClientHost& client : hosts.clients)
        for (int k = 0; k < client.processes; ++k, ++index) {
            FleetMember member;
            member.program = "wrk";
            member.name = fmt::format("{}#{}", client.host.name(), k + 1);
            member.host = client.host.local() ? nullptr : &context.remote->at(*client.host.ssh);
            member.stdout_file = raw_file(context, result.id, index + 1, fmt::format("{}stdout.txt", phase.prefix));
            member.stderr_file = raw_file(context, result.id, index + 1, fmt::format("{}stderr.txt", phase.prefix));
            WrkPlace place{context.wrk_path, context.wrk_script, server_host};
            if (member.host) {
                place.program = member.host->wrk;
                place.script = member.host->prepared.build_dir / "harness" / "report.lua";
            } else {
                member.cpus = context.pinning.wrk_cpus;
            }
            if (phase.report) {
                member.report = raw_file(context, result.id, index + 1, "wrk-report.json");
                member.remote_report = member.host ? context.remote_dir / member.report.filename() : member.report;
                member.env.push_back("PREFORK_BENCH_REPORT=" + member.remote_report.string());
            }
            // Set for every wrk, 1 too (runner.cpp's wrk_spec says why).
            member.env.push_back(fmt::format("PREFORK_BENCH_PIPELINE={}", scenario.wrk.pipeline));
            member.argv = wrk_command(context, share_of(result.connections, processes, index), phase.duration,
                                      server.port(), place);
            members.push_back(std::move(member));
        }
    return members;
}

// The kernel a member runs on: hosts with one boot_id (namespaces,
// containers of one machine) share its CPUs and are judged together.
std::string machine_of(const FleetMember& member) {
    static const std::string here = host_facts().value("boot_id", std::string("local"));
    if (!member.host) return here;
    const nlohmann::json& id = member.host->facts["boot_id"];
    return id.is_string() ? id.get<std::string>() : member.host->name();
}

// The client-bound verdict machine by machine: the CPU its wrk processes
// used over the measured window against the CPUs their threads could fill
// there.
void judge_clients(const RunContext& context, const std::vector<FleetMember>& members,
                   const std::vector<std::optional<ProcessUsage>>& usages, const std::vector<WrkReport>& reports,
                   RunResult& result) {
    struct Host {
        std::string names; // its hosts as the scenario names them
        double cpu_s = 0, window_s = 0;
        int threads = 0, cpus = 0;
        bool known = true;
    };
    std::map<std::string, Host> hosts; // by machine
    for (std::size_t i = 0; i < members.size(); ++i) {
        Host& host = hosts[machine_of(members[i])];
        const std::string name = members[i].host ? members[i].host->name() : "local";
        if (host.names.find(name) == std::string::npos) host.names += (host.names.empty() ? "" : " and ") + name;
        host.cpus = members[i].host ? members[i].host->facts.value("online_cpus", 0) : context.wrk_cpus;
        host.threads += context.scenario->wrk.threads;
        host.window_s = std::max(host.window_s, reports[i].duration_s);
        if (usages[i]) host.cpu_s += usages[i]->cpu_s();
        else host.known = false;
    }
    result.fleet.client_bound = false;
    for (const auto& [machine, host] : hosts) {
        const int usable = std::min(host.threads, host.cpus);
        if (!host.known || usable <= 0 || host.window_s <= 0) continue; // a sampling problem already marks the run
        const double share = host.cpu_s / host.window_s / usable;
        if (share < client_bound_share) continue;
        result.fleet.client_bound = true;
        result.fleet.client_bound_reason += fmt::format("{}{}: wrk used {:.1f} % of the {} CPU{} its threads can use there (at least {:.0f} %)",
                                                        result.fleet.client_bound_reason.empty() ? "" : "; ", host.names,
                                                        100.0 * share, usable, usable == 1 ? "" : "s",
                                                        100.0 * client_bound_share);
    }
}

// The shortest client-server round trip: a client host's link to this
// machine where the server is here, else the server host's link; a client
// here with the server here has none. (The rig and a lab's star network
// put every host one hop from the others; a client host's link to the
// server is not measured on its own.)
double shortest_round_trip(const std::vector<FleetMember>& members, const LaunchedServer& server) {
    const RemoteHost* server_host = server.remote() ? &dynamic_cast<const RemoteServer&>(server).host() : nullptr;
    double shortest = -1;
    for (const FleetMember& member : members) {
        const RemoteHost* far = member.host ? member.host : server_host;
        const double trip = far ? far->link.rtt_min_ms : 0;
        shortest = shortest < 0 ? trip : std::min(shortest, trip);
    }
    return std::max(shortest, 0.0);
}

// The start barrier's lead comes on top of the run's own limit.
constexpr std::chrono::seconds barrier_allowance{10};

} // namespace

void warm_up_wrk_fleet(const RunContext& context, LaunchedServer& server, RunResult& result) {
    const Scenario& scenario = *context.scenario;
    ClientFleet warmup(members_of(context, server, result, {"warmup-", scenario.warmup, false}),
                       context.build_dir / "harness" / "pb-remote", fmt::format("{}.{}", context.run_marker, result.id),
                       fmt::format("{}.{}", context.remote_marker, result.id));
    warmup.start();
    warmup.wait(scenario.warmup + std::chrono::seconds(30) + barrier_allowance, context.interrupted);
    warmup.collect(); // every warm-up's exit checked
}

void run_wrk_fleet(const RunContext& context, LaunchedServer& server, RunResult& result) {
    const Scenario& scenario = *context.scenario;
    const std::vector<FleetMember> members = members_of(context, server, result, {"", scenario.wrk.duration, true});
    const FleetOutcome outcome =
        run_measured_fleet(context, server, result.id, members, effective_run_timeout(scenario) + barrier_allowance, result);
    result.fleet.round_trip_ms = shortest_round_trip(members, server);
    for (const FleetMember& member : members) result.fleet.wrk_reports.push_back(parse_wrk_report(member.report));
    result.wrk = merge_wrk_reports(result.fleet.wrk_reports);
    judge_clients(context, members, outcome.usages, result.fleet.wrk_reports, result);
}

} // namespace pb::harness
