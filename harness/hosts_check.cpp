#include "hosts_check.hpp"

#include <fmt/format.h>
#include <fstream>
#include <stdexcept>

#include "guard/run_marker.hpp"
#include "remote/remote_hosts.hpp"
#include "scenario/scenario.hpp"
#include "scenario_run.hpp"

namespace pb::harness {

int check_hosts_command(const HostsCheckOptions& options) {
    const Scenario scenario = load_scenario(options.scenario);
    if (!scenario.hosts.remote()) {
        fmt::print("{}: every host is local: nothing to prepare\n", options.scenario.string());
        return 0;
    }
    const std::filesystem::path build_dir =
        options.build_dir.empty() ? default_build_dir() : options.build_dir;
    const RemoteHosts hosts(scenario, build_dir, PREFORK_BENCH_SOURCE_DIR);
    // Any run's marker: another harness's processes, or an earlier run's
    // leftovers. Named, and ended only when asked.
    const std::string left = hosts.leftovers(std::string(remote_marker_name) + "=", true, options.kill_leftovers);
    if (!left.empty() && !options.kill_leftovers)
        throw std::runtime_error(fmt::format("processes of another run are on the hosts: {} (--kill-leftovers ends them)", left));
    if (!left.empty()) fmt::print("ended processes of another run: {}\n", left);
    if (!options.json.empty()) {
        std::ofstream out(options.json);
        out << hosts.meta().dump(2) << "\n";
        if (!out) throw std::runtime_error("cannot write " + options.json.string());
    }
    return 0;
}

} // namespace pb::harness
