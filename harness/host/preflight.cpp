#include "host/preflight.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fmt/core.h>
#include <stdexcept>

#include "common/cpus.hpp"
#include "common/program_path.hpp"
#include "common/system_error.hpp"
#include "host/host_info.hpp"

namespace pb::harness {

namespace {

std::string find_wrk() {
    if (auto path = find_on_path("wrk")) return *path;
    throw std::runtime_error("wrk not found on PATH: install it with `sudo apt-get install wrk` (or `make deps`)");
}

std::string describe_limit(std::uint64_t value) {
    return value == RLIM_INFINITY ? std::string("unlimited") : std::to_string(value);
}

} // namespace

NofileLimit ensure_nofile_limit(int max_connections) {
    if (max_connections < 0) throw std::invalid_argument(fmt::format("max_connections {} < 0", max_connections));
    const std::uint64_t need = static_cast<std::uint64_t>(max_connections) + nofile_margin;
    rlimit limits{};
    if (::getrlimit(RLIMIT_NOFILE, &limits) != 0) throw_system_error("getrlimit", "RLIMIT_NOFILE");
    if (limits.rlim_cur >= need) return {limits.rlim_cur, limits.rlim_max};
    if (limits.rlim_max < need)
        throw std::runtime_error(fmt::format(
            "open-file limit too low for {} connections: need {} (connections + {} margin), soft {}, hard {}; "
            "raise the hard limit (as root: `ulimit -Hn {}` in the shell that starts the harness, or nofile in "
            "/etc/security/limits.conf, or LimitNOFILE= for a systemd unit)",
            max_connections, need, nofile_margin, describe_limit(limits.rlim_cur), describe_limit(limits.rlim_max),
            need));
    // Only as far as needed: the kernel refuses more than fs.nr_open, and an
    // "unlimited" hard limit is more than that.
    const rlim_t old_soft = limits.rlim_cur;
    limits.rlim_cur = need;
    if (::setrlimit(RLIMIT_NOFILE, &limits) != 0)
        throw_system_error("setrlimit", fmt::format("RLIMIT_NOFILE soft {} -> {}, hard {}", old_soft, need,
                                                    describe_limit(limits.rlim_max)));
    return {limits.rlim_cur, limits.rlim_max};
}

Preflight run_preflight(int max_connections, bool need_wrk) {
    Preflight preflight;
    if (need_wrk) {
        preflight.wrk_path = find_wrk();
        preflight.wrk_version = wrk_version(preflight.wrk_path);
    }
    const NofileLimit nofile = ensure_nofile_limit(max_connections);
    preflight.nofile_soft = nofile.soft;
    preflight.nofile_hard = nofile.hard;
    preflight.cpus = static_cast<int>(allowed_cpus().size());
    preflight.governor = cpu_governor();
    preflight.somaxconn = somaxconn();
    return preflight;
}

std::vector<std::string> preflight_warnings(const Preflight& preflight, int max_connections) {
    std::vector<std::string> warnings;
    if (preflight.somaxconn && *preflight.somaxconn < max_connections)
        warnings.push_back(fmt::format(
            "net.core.somaxconn is {}, below the {} connections of the largest run: every listen backlog is capped "
            "at {} (raise it with `sudo sysctl -w net.core.somaxconn={}`)",
            *preflight.somaxconn, max_connections, *preflight.somaxconn, max_connections));
    if (!preflight.somaxconn)
        warnings.push_back("net.core.somaxconn could not be read: the cap on the listen backlog is unknown");
    if (preflight.governor && *preflight.governor != "performance")
        warnings.push_back(fmt::format(
            "CPU frequency governor is '{}', not 'performance': clock speed may change during runs "
            "(`sudo cpupower frequency-set -g performance`)",
            *preflight.governor));
    if (preflight.cpus < 2)
        warnings.push_back(fmt::format(
            "only {} CPU available: the server and wrk cannot be pinned apart and compete for it", preflight.cpus));
    return warnings;
}

} // namespace pb::harness
