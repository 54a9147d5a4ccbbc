#pragma once
// prefork-bench hosts SCENARIO: what a run across hosts does before its
// first run, alone: connect to every remote host of the scenario's [hosts],
// prepare it, read its facts, measure its link, look for leftovers, and
// print (and with --json write) what meta.json would record. Nothing is
// started on a host that is not listed.
#include <filesystem>

namespace pb::harness {

struct HostsCheckOptions {
    std::filesystem::path scenario;
    std::filesystem::path build_dir; // empty: the build tree this binary is in
    std::filesystem::path json;      // empty: print only
    bool kill_leftovers = false;     // end processes of another run found on a host instead of refusing
};

// 0 when every host is ready; throws naming the host that is not.
int check_hosts_command(const HostsCheckOptions& options);

} // namespace pb::harness
