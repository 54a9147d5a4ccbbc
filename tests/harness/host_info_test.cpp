#include "host/host_info.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include "support/temp_dir.hpp"

namespace {

using nlohmann::json;

// A string, or null where the machine does not tell.
bool string_or_null(const json& value) { return value.is_string() || value.is_null(); }

TEST(HostInfoHost, HasEveryFieldWithItsType) {
    const json host = pb::harness::host_facts();
    ASSERT_TRUE(host.is_object());
    for (const char* key : {"hostname", "os", "cpu_model", "allowed_cpus", "cpu_governor"}) {
        ASSERT_TRUE(host.contains(key)) << key;
        EXPECT_TRUE(string_or_null(host[key])) << key << ": " << host[key];
    }
    EXPECT_TRUE(host["hostname"].is_string());
    EXPECT_TRUE(host["allowed_cpus"].is_string());
    ASSERT_TRUE(host["online_cpus"].is_number_integer());
    EXPECT_GE(host["online_cpus"].get<int>(), 1);
    ASSERT_TRUE(host["allowed_cpu_count"].is_number_integer());
    EXPECT_GE(host["allowed_cpu_count"].get<int>(), 1);
    ASSERT_TRUE(host["memory_total_mib"].is_number());
    EXPECT_GT(host["memory_total_mib"].get<double>(), 0);
    EXPECT_TRUE(host["somaxconn"].is_number_integer() || host["somaxconn"].is_null());

    ASSERT_TRUE(host["kernel"].is_object());
    EXPECT_TRUE(host["kernel"]["release"].is_string());
    EXPECT_TRUE(host["kernel"]["version"].is_string());

    ASSERT_TRUE(host["nofile"].is_object());
    for (const char* key : {"soft", "hard"}) {
        const json& limit = host["nofile"][key];
        EXPECT_TRUE(limit.is_number_unsigned() || limit == "unlimited") << key << ": " << limit;
    }

    ASSERT_TRUE(host["virtualisation"].is_object());
    const json& virt = host["virtualisation"];
    EXPECT_TRUE(string_or_null(virt["systemd_detect_virt"]));
    EXPECT_TRUE(virt["hypervisor_flag"].is_boolean() || virt["hypervisor_flag"].is_null());
    EXPECT_TRUE(string_or_null(virt["product_name"]));
    EXPECT_TRUE(string_or_null(virt["sys_vendor"]));
}

// The live values against the files read here with a plain ifstream: the
// parsers themselves are tested with fixtures in host_parse_test.cpp.
TEST(HostInfoHost, SomaxconnMatchesProc) {
    std::ifstream proc("/proc/sys/net/core/somaxconn");
    if (!proc) GTEST_SKIP() << "no /proc/sys/net/core/somaxconn";
    int expected = 0;
    ASSERT_TRUE(proc >> expected);
    EXPECT_EQ(pb::harness::somaxconn(), expected);
    EXPECT_EQ(pb::harness::host_facts()["somaxconn"], expected);
}

TEST(HostInfoHost, CpuGovernorMatchesSysfsOrIsNullWithoutCpufreq) {
    std::ifstream sysfs("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    std::string expected;
    if (sysfs >> expected) EXPECT_EQ(pb::harness::cpu_governor(), expected);
    else EXPECT_EQ(pb::harness::cpu_governor(), std::nullopt);
}

TEST(HostInfoToolchain, HasCompilerBuildAndLibraries) {
    const json tools = pb::harness::toolchain_facts();
    ASSERT_TRUE(tools["compiler"].is_object());
    EXPECT_TRUE(tools["compiler"]["id"].is_string());
    EXPECT_FALSE(tools["compiler"]["version"].get<std::string>().empty());
    EXPECT_TRUE(tools["build_type"].is_string());
    EXPECT_TRUE(tools["cxx_flags"].is_string());
    EXPECT_TRUE(tools["cxx_standard"].is_number_integer());
    EXPECT_TRUE(tools["glibc"].is_string());
    const json& libraries = tools["libraries"];
    for (const char* key : {"boost", "fmt", "nlohmann_json"}) {
        ASSERT_TRUE(libraries[key].is_string()) << key;
        EXPECT_NE(libraries[key].get<std::string>().find('.'), std::string::npos) << key;
    }
    EXPECT_TRUE(string_or_null(libraries["tomlplusplus"]));
}

using test_support::TempDir;

TEST(HostInfoGit, NotARepositoryGivesNulls) {
    TempDir dir;
    const json git = pb::harness::git_facts(dir.path());
    EXPECT_TRUE(git["commit"].is_null()) << git;
    EXPECT_TRUE(git["dirty"].is_null()) << git;
}

TEST(HostInfoGit, MissingDirectoryGivesNulls) {
    const json git = pb::harness::git_facts("/nonexistent/prefork-bench");
    EXPECT_TRUE(git["commit"].is_null());
    EXPECT_TRUE(git["dirty"].is_null());
}

TEST(HostInfoGit, SourceTreeHasACommit) {
    const json git = pb::harness::git_facts(PREFORK_BENCH_SOURCE_DIR);
    if (git["commit"].is_null()) GTEST_SKIP() << "git or the repository is not available";
    EXPECT_EQ(git["commit"].get<std::string>().size(), 40u);
    EXPECT_TRUE(git["dirty"].is_boolean());
}

TEST(HostInfoWrk, VersionIsTheFirstLine) {
    if (access("/usr/bin/wrk", X_OK) != 0) GTEST_SKIP() << "wrk is not installed";
    const std::string version = pb::harness::wrk_version("/usr/bin/wrk");
    EXPECT_EQ(version.rfind("wrk ", 0), 0u) << version;
    EXPECT_EQ(version.find('\n'), std::string::npos);
}

TEST(HostInfoWrk, MissingWrkGivesEmpty) {
    EXPECT_EQ(pb::harness::wrk_version("/nonexistent/wrk"), "");
}

} // namespace

namespace pb::harness {
namespace {

// A /sys/class/net as the kernel lays it out: a NIC with a driver link and a
// speed, a veth without a driver and with a speed of -1 (as virtual
// drivers report it), and lo, which is left out.
TEST(HostInfoNetwork, InterfacesWithDriverSpeedMtuAndState) {
    const test_support::TempDir dir;
    const std::filesystem::path net = dir.path() / "class" / "net";
    const auto write = [&](const std::filesystem::path& file, const char* text) {
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file) << text;
    };
    write(net / "eth0" / "speed", "10000\n");
    write(net / "eth0" / "mtu", "1500\n");
    write(net / "eth0" / "operstate", "up\n");
    std::filesystem::create_directories(dir.path() / "bus" / "drivers" / "ixgbe");
    std::filesystem::create_directories(net / "eth0" / "device");
    std::filesystem::create_symlink(dir.path() / "bus" / "drivers" / "ixgbe", net / "eth0" / "device" / "driver");
    write(net / "veth1" / "speed", "-1\n");
    write(net / "veth1" / "mtu", "1500\n");
    write(net / "veth1" / "operstate", "lowerlayerdown\n");
    write(net / "lo" / "mtu", "65536\n");
    const nlohmann::json nics = network_interfaces(net);
    ASSERT_EQ(nics.size(), 2u) << nics.dump();
    EXPECT_EQ(nics[0]["name"], "eth0");
    EXPECT_EQ(nics[0]["driver"], "ixgbe");
    EXPECT_EQ(nics[0]["speed_mbps"], 10000);
    EXPECT_EQ(nics[0]["mtu"], "1500");
    EXPECT_EQ(nics[0]["state"], "up");
    EXPECT_EQ(nics[1]["name"], "veth1");
    EXPECT_TRUE(nics[1]["driver"].is_null());
    EXPECT_TRUE(nics[1]["speed_mbps"].is_null());
    EXPECT_EQ(nics[1]["state"], "lowerlayerdown");
}

TEST(HostInfoNetwork, AMissingDirectoryGivesNone) {
    EXPECT_TRUE(network_interfaces("/nonexistent/sys/class/net").empty());
}

} // namespace
} // namespace pb::harness
