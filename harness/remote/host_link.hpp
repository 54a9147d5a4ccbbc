#pragma once
// The SSH link to a host as a run sees it: the round trip of a command over
// the master connection, and the host's clock against this one's (the start
// barrier is a wall-clock time on each host).
#include <filesystem>

#include "remote/ssh_session.hpp"

namespace pb::harness {

struct HostLink {
    double rtt_ms = 0;              // median over the probes: a line through an open channel and back
    double rtt_min_ms = 0;
    double command_ms = 0;          // one command over the master (a session's setup included), median
    double clock_offset_ms = 0;     // host's CLOCK_REALTIME − this one's, from the fastest probe
    double offset_uncertainty_ms = 0; // half that probe's round trip: the offset is known to within it
    int probes = 0;
};

// `pb-remote clock --echo` over one channel, probed `probes` times after a
// first exchange: each probe is bracketed by this machine's clock, and the
// host's reading is taken to be the middle (as NTP does); the fastest probe
// gives the offset. Also the time of a whole command, `probes` times.
HostLink measure_link(const SshSession& session, const std::filesystem::path& pb_remote, int probes = 7);

} // namespace pb::harness
