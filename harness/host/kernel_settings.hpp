#pragma once
// Kernel settings a run asks for (a server's `sysctl` table), e.g.
// net.ipv4.tcp_migrate_req = 1: written to /proc/sys before the server
// starts and put back when the run ends, so that one run's setting never
// leaks into the next (or into the machine after the harness).
#include <string>
#include <utility>
#include <vector>

namespace pb::harness {

// "net.ipv4.tcp_migrate_req" -> "/proc/sys/net/ipv4/tcp_migrate_req"
// (`root` other than /proc/sys only in tests).
std::string sysctl_path(const std::string& name, const std::string& root = "/proc/sys");

// The current value, trimmed. Throws naming the setting and the path when
// this kernel has no such setting.
std::string read_sysctl(const std::string& name, const std::string& root = "/proc/sys");

class KernelSettings {
public:
    // Sets each; throws (having put back those already set) naming the
    // setting, its path and strerror.
    explicit KernelSettings(const std::vector<std::pair<std::string, std::string>>& settings,
                            std::string root = "/proc/sys");
    ~KernelSettings();
    KernelSettings(const KernelSettings&) = delete;
    KernelSettings& operator=(const KernelSettings&) = delete;

    // "name=value name=value", as set; empty for none.
    std::string describe() const;

private:
    std::string root_;
    std::vector<std::pair<std::string, std::string>> set_, previous_;
};

} // namespace pb::harness
