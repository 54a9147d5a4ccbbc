// A run's kernel settings: set for the run, put back after it, and a setting
// this kernel lacks refused by name. On a directory standing in for
// /proc/sys, so the machine's own settings are never touched.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "host/kernel_settings.hpp"

namespace pb::harness {
namespace {

struct FakeProcSys : ::testing::Test {
    std::filesystem::path root = std::filesystem::temp_directory_path() / ("pb-sysctl-" + std::to_string(getpid()));
    void SetUp() override {
        std::filesystem::create_directories(root / "net/ipv4");
        std::ofstream(root / "net/ipv4/tcp_migrate_req") << "0\n";
    }
    void TearDown() override { std::filesystem::remove_all(root); }
};

TEST_F(FakeProcSys, ASettingHoldsForTheScopeAndIsPutBackAfter) {
    {
        const KernelSettings settings({{"net.ipv4.tcp_migrate_req", "1"}}, root.string());
        EXPECT_EQ(read_sysctl("net.ipv4.tcp_migrate_req", root.string()), "1");
        EXPECT_EQ(settings.describe(), "net.ipv4.tcp_migrate_req=1");
    }
    EXPECT_EQ(read_sysctl("net.ipv4.tcp_migrate_req", root.string()), "0");
}

TEST_F(FakeProcSys, AMissingSettingIsRefusedByNameAndTheOthersPutBack) {
    try {
        const KernelSettings settings({{"net.ipv4.tcp_migrate_req", "1"}, {"net.ipv4.no_such_thing", "1"}}, root.string());
        FAIL() << "a missing setting was accepted";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("sysctl net.ipv4.no_such_thing: open "), std::string::npos) << error.what();
    }
    EXPECT_EQ(read_sysctl("net.ipv4.tcp_migrate_req", root.string()), "0");
}

TEST(KernelSettings, NamesMapToProcSysPaths) {
    EXPECT_EQ(sysctl_path("net.ipv4.tcp_migrate_req"), "/proc/sys/net/ipv4/tcp_migrate_req");
    EXPECT_EQ(KernelSettings({}).describe(), "");
}

} // namespace
} // namespace pb::harness
