#pragma once
// The SSH link to a host as a run sees it: the round trip of a command over
// the master connection, and the host's clock against this one's (the start
// barrier is a wall-clock time on each host).
#include <filesystem>

#include "remote/ssh_session.hpp"

namespace pb::harness {

struct HostLink {
    double rtt_ms = 0;              // median over the probes: a command through the master and back
    double rtt_min_ms = 0;
    double clock_offset_ms = 0;     // host's CLOCK_REALTIME − this one's, from the fastest probe
    double offset_uncertainty_ms = 0; // half that probe's round trip: the offset is known to within it
    int probes = 0;
};

// `pb-remote clock` run `probes` times: each probe is bracketed by this
// host's clock, and the host's reading is taken to be the middle.
HostLink measure_link(const SshSession& session, const std::filesystem::path& pb_remote, int probes = 7);

} // namespace pb::harness
