#include "common/wall_clock.hpp"
#include "remote/host_link.hpp"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <stdexcept>
#include <vector>

namespace pb::harness {
namespace {


std::int64_t reading(const SshSession& session, const std::optional<std::string>& line) {
    std::int64_t remote = 0;
    const std::string text = line.value_or("");
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), remote);
    if (!line || error != std::errc() || remote <= 0)
        throw std::runtime_error(fmt::format("{}: `pb-remote clock --echo` answered {:?}", session.name(), text));
    return remote;
}

double median_ms(std::vector<std::int64_t> ns) {
    std::sort(ns.begin(), ns.end());
    return static_cast<double>(ns[ns.size() / 2]) / 1e6;
}

} // namespace

HostLink measure_link(const SshSession& session, const std::filesystem::path& pb_remote, int probes) {
    ChildProcess echo(session.channel({pb_remote.string(), "clock", "--echo"}));
    echo.write_stdin("\n"); // the channel's setup, not measured
    reading(session, echo.read_line(std::chrono::seconds(20)));
    struct Probe {
        std::int64_t rtt_ns, offset_ns;
    };
    std::vector<Probe> seen;
    std::vector<std::int64_t> rtts;
    for (int i = 0; i < probes; ++i) {
        const std::int64_t sent = realtime_ns();
        echo.write_stdin("\n");
        const std::int64_t remote = reading(session, echo.read_line(std::chrono::seconds(20)));
        const std::int64_t back = realtime_ns();
        seen.push_back({back - sent, remote - (sent + (back - sent) / 2)});
        rtts.push_back(back - sent);
    }
    echo.close_stdin();
    echo.wait_for(std::chrono::seconds(5));
    std::vector<std::int64_t> commands;
    for (int i = 0; i < probes; ++i) {
        const std::int64_t sent = realtime_ns();
        const RemoteOutput out = session.run({pb_remote.string(), "clock"}, std::chrono::seconds(20));
        if (out.exit_status != 0) throw std::runtime_error(fmt::format("{}: `pb-remote clock`: {}", session.name(), out.err));
        commands.push_back(realtime_ns() - sent);
    }
    HostLink link;
    link.probes = probes;
    link.rtt_ms = median_ms(rtts);
    link.rtt_min_ms = static_cast<double>(*std::min_element(rtts.begin(), rtts.end())) / 1e6;
    link.command_ms = median_ms(commands);
    const Probe fastest = *std::min_element(seen.begin(), seen.end(), [](const Probe& a, const Probe& b) { return a.rtt_ns < b.rtt_ns; });
    link.clock_offset_ms = static_cast<double>(fastest.offset_ns) / 1e6;
    link.offset_uncertainty_ms = static_cast<double>(fastest.rtt_ns) / 2e6;
    return link;
}

} // namespace pb::harness
