#include "host/host_info.hpp"

#include <fcntl.h>
#include <gnu/libc-version.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/version.hpp>
#include <cerrno>
#include <algorithm>
#include <charconv>
#include <fmt/core.h>
#include <string_view>
#include <vector>

#if __has_include(<toml++/impl/version.h>)
#include <toml++/impl/version.h>
#endif

#include "common/child_process.hpp"
#include "common/cpus.hpp"
#include "common/numbers.hpp"
#include "common/socket.hpp"
#include "common/file_text.hpp"

#ifndef PREFORK_BENCH_BUILD_TYPE
#define PREFORK_BENCH_BUILD_TYPE ""
#endif
#ifndef PREFORK_BENCH_CXX_FLAGS
#define PREFORK_BENCH_CXX_FLAGS ""
#endif
#ifndef PREFORK_BENCH_VERSION
#define PREFORK_BENCH_VERSION ""
#endif

namespace pb::harness {

namespace {

using nlohmann::json;

std::string_view trim(std::string_view text) {
    const std::size_t start = text.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return {};
    return text.substr(start, text.find_last_not_of(" \t\r\n") - start + 1);
}

// What `parse` finds in the file; null when the file cannot be read.
template <typename Parse>
auto parsed_file(const char* path, Parse parse) -> decltype(parse(std::string_view())) {
    const auto text = read_whole_file(path);
    if (!text) return std::nullopt;
    return parse(*text);
}

// The value of the first "key<sep>value" line, with the key and value trimmed.
std::optional<std::string> keyed_value(std::string_view text, std::string_view key, char separator) {
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(at, end - at);
        at = end + 1;
        const std::size_t sep = line.find(separator);
        if (sep != std::string_view::npos && trim(line.substr(0, sep)) == key)
            return std::string(trim(line.substr(sep + 1)));
    }
    return std::nullopt;
}

template <typename T>
json or_null(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

json kernel() {
    utsname names{};
    if (::uname(&names) != 0) return {{"release", nullptr}, {"version", nullptr}, {"machine", nullptr}};
    return {{"release", names.release}, {"version", names.version}, {"machine", names.machine}};
}

std::optional<std::string> hostname() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return std::nullopt;
    return std::string(name);
}

std::optional<std::vector<int>> allowed() {
    try {
        return allowed_cpus();
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

json limit(rlim_t value) { return value == RLIM_INFINITY ? json("unlimited") : json(static_cast<std::uint64_t>(value)); }

json nofile() {
    rlimit limits{};
    if (::getrlimit(RLIMIT_NOFILE, &limits) != 0) return {{"soft", nullptr}, {"hard", nullptr}};
    return {{"soft", limit(limits.rlim_cur)}, {"hard", limit(limits.rlim_max)}};
}

// systemd-detect-virt prints "none" and exits 1 on bare metal, so its output
// counts whatever the exit status.
std::optional<std::string> detect_virt() {
    const auto run = capture_output({"systemd-detect-virt"}, false);
    if (!run) return std::nullopt;
    std::string line = parse::first_line(run->output);
    if (line.empty()) return std::nullopt;
    return line;
}

json virtualisation() {
    return {{"systemd_detect_virt", or_null(detect_virt())},
            {"hypervisor_flag", or_null(parsed_file("/proc/cpuinfo", parse::hypervisor_flag))},
            {"product_name", or_null(parsed_file("/sys/class/dmi/id/product_name", parse::single_value))},
            {"sys_vendor", or_null(parsed_file("/sys/class/dmi/id/sys_vendor", parse::single_value))}};
}

std::string dotted(int major, int minor, int patch) { return fmt::format("{}.{}.{}", major, minor, patch); }

json compiler() {
#if defined(__clang__)
    const char* id = "clang";
#elif defined(__GNUC__)
    const char* id = "gcc";
#else
    const char* id = "unknown";
#endif
    return {{"id", id}, {"version", __VERSION__}};
}

json toml_version() {
#if defined(TOML_LIB_MAJOR)
    return dotted(TOML_LIB_MAJOR, TOML_LIB_MINOR, TOML_LIB_PATCH);
#else
    return nullptr;
#endif
}

// Runs git in dir; its trimmed stdout, empty when git is missing or fails.
std::optional<std::string> git(const std::filesystem::path& dir, std::vector<std::string> arguments) {
    std::vector<std::string> argv{"git", "-C", dir.string()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    const auto run = capture_output(argv, false);
    if (!run || run->exit_status != 0) return std::nullopt;
    return std::string(trim(run->output));
}

std::optional<std::string> os_name() {
    auto name = parsed_file("/etc/os-release", parse::os_name);
    return name ? name : parsed_file("/usr/lib/os-release", parse::os_name);
}

} // namespace

namespace parse {

std::optional<std::string> os_name(std::string_view os_release) {
    auto name = keyed_value(os_release, "PRETTY_NAME", '=');
    if (name && name->size() >= 2 && (name->front() == '"' || name->front() == '\'') && name->back() == name->front())
        *name = name->substr(1, name->size() - 2);
    return name;
}

std::optional<std::string> cpu_model(std::string_view cpuinfo) { return keyed_value(cpuinfo, "model name", ':'); }

std::optional<bool> hypervisor_flag(std::string_view cpuinfo) {
    const auto flags = keyed_value(cpuinfo, "flags", ':');
    if (!flags) return std::nullopt;
    return (" " + *flags + " ").find(" hypervisor ") != std::string::npos;
}

std::optional<double> memory_total_mib(std::string_view meminfo) {
    const auto total = keyed_value(meminfo, "MemTotal", ':'); // "24684096 kB"
    const auto kib = total ? parse_number<std::uint64_t>(total->substr(0, total->find(' '))) : std::nullopt;
    if (!kib) return std::nullopt;
    return static_cast<double>(*kib) / 1024.0;
}

std::optional<std::string> single_value(std::string_view text) {
    const std::string_view value = trim(text);
    if (value.empty()) return std::nullopt;
    return std::string(value);
}

std::optional<int> somaxconn(std::string_view text) { return parse_number<int>(trim(text)); }

std::string first_line(std::string_view output) { return std::string(trim(output.substr(0, output.find('\n')))); }

} // namespace parse

std::optional<std::string> cpu_governor() {
    return parsed_file("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", parse::single_value);
}

std::optional<int> somaxconn() { return parsed_file("/proc/sys/net/core/somaxconn", parse::somaxconn); }

json network_interfaces(const std::filesystem::path& sys_class_net) {
    json out = json::array();
    std::error_code error;
    std::vector<std::filesystem::path> entries;
    for (const auto& entry : std::filesystem::directory_iterator(sys_class_net, error)) entries.push_back(entry.path());
    std::sort(entries.begin(), entries.end());
    for (const std::filesystem::path& dir : entries) {
        const std::string name = dir.filename().string();
        if (name == "lo") continue;
        const auto value = [&dir](const char* file) {
            const auto text = read_whole_file(dir / file);
            return text ? parse::single_value(*text) : std::nullopt;
        };
        // speed is unreadable (EINVAL) on a link that is down and on most virtual ones.
        const std::optional<std::string> speed = value("speed");
        const long mbps = speed ? parse_number<long>(*speed).value_or(0) : 0;
        std::error_code no_driver;
        const std::filesystem::path driver = std::filesystem::read_symlink(dir / "device" / "driver", no_driver);
        out.push_back({{"name", name},
                       {"driver", no_driver ? json(nullptr) : json(driver.filename().string())},
                       {"speed_mbps", mbps > 0 ? json(mbps) : json(nullptr)},
                       {"mtu", or_null(value("mtu"))},
                       {"state", or_null(value("operstate"))}});
    }
    return out;
}

json host_facts() {
    const auto cpus = allowed();
    return {
        {"hostname", or_null(hostname())},
        {"os", or_null(os_name())},
        {"kernel", kernel()},
        {"cpu_model", or_null(parsed_file("/proc/cpuinfo", parse::cpu_model))},
        {"online_cpus", pb::online_cpus()},
        {"allowed_cpus", cpus ? json(cpu_list(*cpus)) : json(nullptr)},
        {"allowed_cpu_count", cpus ? json(cpus->size()) : json(nullptr)},
        {"memory_total_mib", or_null(parsed_file("/proc/meminfo", parse::memory_total_mib))},
        {"cpu_governor", or_null(cpu_governor())},
        {"somaxconn", or_null(somaxconn())},
        {"nofile", nofile()},
        {"virtualisation", virtualisation()},
        {"network_interfaces", network_interfaces("/sys/class/net")},
        // One per running kernel: hosts that share it (namespaces, containers)
        // share its CPUs.
        {"boot_id", or_null(parsed_file("/proc/sys/kernel/random/boot_id", parse::single_value))},
    };
}

json toolchain_facts() {
    const std::string flags(trim(PREFORK_BENCH_CXX_FLAGS));
    return {
        {"compiler", compiler()},
        {"cxx_standard", static_cast<long>(__cplusplus)},
        {"build_type", PREFORK_BENCH_BUILD_TYPE},
        {"cxx_flags", flags},
        {"project_version", PREFORK_BENCH_VERSION},
        {"glibc", gnu_get_libc_version()},
        {"libraries",
         {{"boost", dotted(BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100)},
          {"fmt", dotted(FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
          {"nlohmann_json",
           dotted(NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)},
          {"tomlplusplus", toml_version()}}},
    };
}

json git_facts(const std::filesystem::path& source_dir) {
    const auto commit = git(source_dir, {"rev-parse", "HEAD"});
    // Tracked files only: the results being written below the tree are untracked
    // and do not make the code that produced them dirty.
    const auto status = commit ? git(source_dir, {"status", "--porcelain", "--untracked-files=no"}) : std::nullopt;
    return {{"commit", or_null(commit)}, {"dirty", status ? json(!status->empty()) : json(nullptr)}};
}

std::string wrk_version(const std::string& wrk_path) {
    // wrk -v prints its version, then its usage, and exits 1.
    const auto run = capture_output({wrk_path, "-v"}, true);
    return run ? parse::first_line(run->output) : std::string();
}

} // namespace pb::harness
