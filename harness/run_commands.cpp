#include "runner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/cpus.hpp"
#include "common/units.hpp"

// A run's exact commands: the server's (ours or a peer's) and wrk's, as the
// runner starts them and --dry-run prints them.
namespace pb::harness {
namespace {

// wrk counts whole seconds.
std::string wrk_seconds(std::chrono::nanoseconds duration) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
    return std::to_string(seconds < 1 ? 1 : seconds);
}

} // namespace

std::vector<std::string> server_command(const RunContext& context, const ServerSpec& server) {
    const Scenario& scenario = *context.scenario;
    if (server.kind == ServerKind::peer) {
        const PeerDefinition& peer = context.peers.at(server.model);
        PeerPlaceholders placeholders;
        placeholders.build_dir = context.build_dir;
        placeholders.delay = scenario.delay;
        placeholders.workers = pb::online_cpus();
        TemplateValues values = peer_values(peer, placeholders);
        values["port"] = "@port@";
        values["dir"] = "@dir@";
        return peer_command(peer, values);
    }
    std::vector<std::string> command = {model_binary(context.build_dir, server.model).string(), "--delay",
                                        format_duration(scenario.delay), "--work", format_duration(scenario.work)};
    // Costs travel in the query: our servers read it only when told to.
    if (scenario.load.has_costs()) command.push_back("--cost-from-request");
    command.insert(command.end(), server.flags.begin(), server.flags.end());
    return command;
}

std::vector<std::string> wrk_command(const RunContext& context, int connections, std::chrono::nanoseconds duration,
                                     std::uint16_t port) {
    return wrk_command(context, connections, duration, port, WrkPlace{context.wrk_path, context.wrk_script});
}

std::vector<std::string> wrk_command(const RunContext& context, int connections, std::chrono::nanoseconds duration,
                                     std::uint16_t port, const WrkPlace& place) {
    const WrkSpec& wrk = context.scenario->wrk;
    std::vector<std::string> command = {place.program.string()};
    for (const std::string& header : wrk.headers) command.insert(command.end(), {"-H", header});
    command.insert(command.end(), {"--latency", "-d", wrk_seconds(duration), "-c", std::to_string(connections),
                                   "--timeout", wrk_seconds(wrk.timeout), "-t", std::to_string(wrk.threads), "-s",
                                   place.script.string(), fmt::format("http://{}:{}{}", place.server_host, port, wrk.path)});
    return command;
}

} // namespace pb::harness
