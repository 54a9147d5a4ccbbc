#include "common/wall_clock.hpp"
#include "client_fleet.hpp"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "common/file_text.hpp"
#include "common/wait_status.hpp"
#include "launch/server_launcher.hpp"
#include "measure/usage_json.hpp"

namespace pb::harness {
namespace {

using std::chrono::milliseconds;


// What pb-remote run said around the command (child_runner.hpp).
struct RunLines {
    std::int64_t started_ns = 0;
    std::optional<nlohmann::json> usage;
    std::string exit; // "exited with status 0", ...
};

RunLines run_lines(const std::filesystem::path& stdout_file) {
    RunLines lines;
    const std::string text = read_whole_file(stdout_file).value_or("");
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        const std::string_view line(text.data() + at, end - at);
        if (line.rfind("pb-remote: pid ", 0) == 0) {
            const auto key = line.find("started_ns ");
            if (key != std::string_view::npos)
                std::from_chars(line.data() + key + 11, line.data() + line.size(), lines.started_ns);
        } else if (line.rfind("pb-remote: usage ", 0) == 0) {
            try {
                lines.usage = nlohmann::json::parse(line.substr(17));
            } catch (const nlohmann::json::exception&) {
                // left out: collect() names the client whose CPU is then not counted
            }
        } else if (line.rfind("pb-remote: exit ", 0) == 0) {
            lines.exit = std::string(line.substr(16));
        }
        at = end + 1;
    }
    return lines;
}

void add(ProcessUsage& total, const ProcessUsage& part, bool first) {
    total.user_s += part.user_s;
    total.system_s += part.system_s;
    // schedstat's time only where every member has it: else the tick counts for all.
    total.runtime_s = (first || total.runtime_s > 0) && part.runtime_s > 0 ? total.runtime_s + part.runtime_s : 0;
    total.peak_rss_mib += part.peak_rss_mib;
    total.voluntary_switches += part.voluntary_switches;
    total.involuntary_switches += part.involuntary_switches;
    total.processes += part.processes;
    total.threads += part.threads;
}

// A member's report, fetched from its host into raw/ first where it ran elsewhere.
nlohmann::json fetch_report(const FleetMember& member) {
    if (member.host) {
        const RemoteOutput report = member.host->session->run({"cat", "--", member.remote_report.string()});
        if (report.exit_status != 0)
            throw std::runtime_error(fmt::format("client {}: no report at {}: {}", member.name,
                                                 member.remote_report.string(), report.err));
        std::ofstream(member.report, std::ios::binary) << report.out;
    }
    std::ifstream in(member.report);
    if (!in) throw std::runtime_error(fmt::format("client {}: no report at {}", member.name, member.report.string()));
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& error) {
        throw std::runtime_error(fmt::format("client {}: {}: {}", member.name, member.report.string(), error.what()));
    }
}

} // namespace

ClientFleet::ClientFleet(std::vector<FleetMember> members, std::filesystem::path local_pb_remote, std::string marker,
                         std::string remote_marker)
    : members_(std::move(members)), local_pb_remote_(std::move(local_pb_remote)), marker_(std::move(marker)),
      remote_marker_(std::move(remote_marker)) {}

ClientFleet::~ClientFleet() {
    for (auto& process : processes_)
        if (process && !process->exited()) process->kill_group();
}

void ClientFleet::start() {
    // Long enough for every channel to open, one after the other, before
    // the moment comes: each costs about a command's time.
    double opening_ms = 0;
    for (const FleetMember& member : members_) opening_ms += member.host ? member.host->link.command_ms : 20;
    const auto lead_ns = static_cast<std::int64_t>((500 + 2 * opening_ms) * 1e6);
    const std::int64_t at = realtime_ns() + std::max<std::int64_t>(lead_ns, 1'000'000'000);
    for (const FleetMember& member : members_) {
        const std::int64_t there =
            member.host ? at + static_cast<std::int64_t>(member.host->link.clock_offset_ms * 1e6) : at;
        const std::filesystem::path pb_remote = member.host ? member.host->pb_remote() : local_pb_remote_;
        std::vector<std::string> argv = {pb_remote.string(), "run", "--start-at-ns", std::to_string(there),
                                         "--sample-ms", "100", "--env", member.host ? remote_marker_ : marker_};
        for (const std::string& entry : member.env) argv.insert(argv.end(), {"--env", entry});
        argv.emplace_back("--");
        argv.insert(argv.end(), member.argv.begin(), member.argv.end());
        ChildSpec spec;
        if (member.host) {
            spec = member.host->session->channel(argv);
        } else {
            spec.argv = argv;
            spec.stdin_pipe = true;
            spec.die_with_parent = true;
            spec.cpus = member.cpus;
        }
        spec.stdout_file = member.stdout_file;
        spec.stderr_file = member.stderr_file;
        processes_.push_back(std::make_unique<ChildProcess>(spec));
    }
}

void ClientFleet::stop_all() {
    for (auto& process : processes_) process->close_stdin();
    for (auto& process : processes_)
        if (!process->wait_for(milliseconds(15'000))) process->kill_group();
}

void ClientFleet::wait(std::chrono::nanoseconds limit, const std::atomic<bool>* interrupted) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        const bool all = std::all_of(processes_.begin(), processes_.end(), [](auto& p) { return p->exited(); });
        if (all) return;
        if (interrupted && interrupted->load()) {
            stop_all();
            throw std::runtime_error("the clients were stopped");
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            stop_all();
            throw std::runtime_error(fmt::format("the clients did not finish within the run timeout ({} s)",
                                                 std::chrono::duration_cast<std::chrono::seconds>(limit).count()));
        }
        // One that failed early need not wait for the others.
        for (std::size_t i = 0; i < processes_.size(); ++i)
            if (processes_[i]->exited() && *processes_[i]->wait_status() != 0) {
                failed_ = i;
                stop_all();
                return;
            }
        std::this_thread::sleep_for(milliseconds(50));
    }
}

FleetOutcome ClientFleet::collect() {
    FleetOutcome outcome;
    outcome.reports.resize(members_.size());
    outcome.usages.resize(members_.size());
    std::int64_t first = 0, last = 0;
    std::vector<std::size_t> order;
    if (failed_) order.push_back(*failed_); // its failure is the one to report
    for (std::size_t i = 0; i < members_.size(); ++i)
        if (i != failed_) order.push_back(i);
    bool counted = false;
    for (const std::size_t i : order) {
        const FleetMember& member = members_[i];
        const RunLines lines = run_lines(member.stdout_file);
        const int status = processes_.at(i)->wait_status().value_or(-1);
        if (lines.exit.empty())
            throw std::runtime_error(fmt::format("client {}: {} without pb-remote's exit line{}; stderr: {}", member.name,
                                                 describe_wait_status(status),
                                                 member.host ? " (the host dropped out?)" : "", tail_of_file(member.stderr_file)));
        if (lines.exit != "exited with status 0")
            throw std::runtime_error(fmt::format("client {}: {} {}; stderr: {}", member.name, member.program, lines.exit,
                                                 tail_of_file(member.stderr_file)));
        if (!member.report.empty()) outcome.reports[i] = fetch_report(member);
        if (!lines.usage) {
            outcome.problems.push_back(fmt::format("client {}: pb-remote gave no usage: its CPU is not counted", member.name));
        } else {
            try {
                const ProcessUsage usage = usage_from_json(lines.usage->at("usage"));
                add(outcome.usage, usage, !counted);
                counted = true;
                outcome.usages[i] = usage;
                outcome.sampling.add(cost_from_json(lines.usage->at("cost")));
                if (const std::string error = lines.usage->at("error").get<std::string>(); !error.empty())
                    outcome.problems.push_back(fmt::format("sampling client {}: {}", member.name, error));
            } catch (const std::exception& error) {
                outcome.problems.push_back(fmt::format("client {}: its usage: {}", member.name, error.what()));
            }
        }
        const std::int64_t here = lines.started_ns -
                                  (member.host ? static_cast<std::int64_t>(member.host->link.clock_offset_ms * 1e6) : 0);
        if (member.host)
            outcome.clock_uncertainty_ms = std::max(outcome.clock_uncertainty_ms, member.host->link.offset_uncertainty_ms);
        first = first == 0 ? here : std::min(first, here);
        last = std::max(last, here);
    }
    outcome.start_skew_ms = static_cast<double>(last - first) / 1e6;
    return outcome;
}

} // namespace pb::harness
