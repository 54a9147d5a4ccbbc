#include "remote/host_link.hpp"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <stdexcept>
#include <vector>

namespace pb::harness {
namespace {

std::int64_t realtime_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

} // namespace

HostLink measure_link(const SshSession& session, const std::filesystem::path& pb_remote, int probes) {
    struct Probe {
        std::int64_t rtt_ns, offset_ns;
    };
    std::vector<Probe> seen;
    for (int i = 0; i < probes; ++i) {
        const std::int64_t sent = realtime_ns();
        const RemoteOutput out = session.run({pb_remote.string(), "clock"}, std::chrono::seconds(20));
        const std::int64_t back = realtime_ns();
        std::int64_t remote = 0;
        const std::string& text = out.out;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), remote);
        if (out.exit_status != 0 || error != std::errc() || remote <= 0)
            throw std::runtime_error(fmt::format("{}: `pb-remote clock` printed {:?} (exit {}): {}", session.name(), text,
                                                 out.exit_status, out.err));
        seen.push_back({back - sent, remote - (sent + (back - sent) / 2)});
    }
    HostLink link;
    link.probes = probes;
    std::vector<std::int64_t> rtts;
    for (const Probe& probe : seen) rtts.push_back(probe.rtt_ns);
    std::sort(rtts.begin(), rtts.end());
    link.rtt_ms = static_cast<double>(rtts[rtts.size() / 2]) / 1e6;
    link.rtt_min_ms = static_cast<double>(rtts.front()) / 1e6;
    const Probe fastest = *std::min_element(seen.begin(), seen.end(), [](const Probe& a, const Probe& b) { return a.rtt_ns < b.rtt_ns; });
    link.clock_offset_ms = static_cast<double>(fastest.offset_ns) / 1e6;
    link.offset_uncertainty_ms = static_cast<double>(fastest.rtt_ns) / 2e6;
    return link;
}

} // namespace pb::harness
