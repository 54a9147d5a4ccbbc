#include "host/preflight.hpp"

#include "common/program_path.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <stdexcept>
#include <string>

namespace {

using pb::harness::Preflight;
using pb::harness::preflight_warnings;

TEST(PreflightNofile, TinyNeedPasses) {
    const auto limit = pb::harness::ensure_nofile_limit(10);
    EXPECT_GE(limit.soft, 10u + pb::harness::nofile_margin);
    rlimit now{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
    EXPECT_EQ(limit.soft, now.rlim_cur);
    EXPECT_EQ(limit.hard, now.rlim_max);
}

TEST(PreflightNofile, AbsurdNeedThrowsWithTheNumbers) {
    rlimit now{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
    if (now.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "the hard limit is unlimited";
    try {
        pb::harness::ensure_nofile_limit(1'000'000'000);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("need 1000000256"), std::string::npos) << what;
        EXPECT_NE(what.find("soft " + std::to_string(now.rlim_cur)), std::string::npos) << what;
        EXPECT_NE(what.find("hard " + std::to_string(now.rlim_max)), std::string::npos) << what;
        EXPECT_NE(what.find("ulimit"), std::string::npos) << what;
    }
}

TEST(PreflightNofile, NegativeConnectionsAreRejected) {
    EXPECT_THROW(pb::harness::ensure_nofile_limit(-1), std::invalid_argument);
}

TEST(PreflightRun, TinyNeedPasses) {
    if (!pb::find_on_path("wrk")) GTEST_SKIP() << "wrk is not installed";
    const Preflight preflight = pb::harness::run_preflight(10);
    EXPECT_NE(preflight.wrk_path.find("wrk"), std::string::npos);
    EXPECT_EQ(preflight.wrk_version.rfind("wrk ", 0), 0u) << preflight.wrk_version;
    EXPECT_GE(preflight.cpus, 1);
    EXPECT_GE(preflight.nofile_soft, 266u);
}

TEST(PreflightRun, AbsurdNeedThrows) {
    rlimit now{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
    if (now.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "the hard limit is unlimited";
    if (!pb::find_on_path("wrk")) GTEST_SKIP() << "wrk is not installed";
    EXPECT_THROW(pb::harness::run_preflight(1'000'000'000), std::runtime_error);
}

TEST(PreflightPath, FindsShAndNotNonsense) {
    EXPECT_TRUE(pb::find_on_path("sh"));
    EXPECT_FALSE(pb::find_on_path("no-such-program-prefork-bench"));
}

Preflight healthy() {
    Preflight p;
    p.wrk_path = "/usr/bin/wrk";
    p.cpus = 2;
    p.governor = "performance";
    p.somaxconn = 4096;
    return p;
}

TEST(PreflightWarnings, HealthyMachineHasNone) { EXPECT_TRUE(preflight_warnings(healthy(), 1000).empty()); }

TEST(PreflightWarnings, SmallSomaxconn) {
    const auto warnings = preflight_warnings(healthy(), 10000);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("somaxconn is 4096"), std::string::npos) << warnings[0];
}

TEST(PreflightWarnings, GovernorOneCpuAndUnknownSomaxconn) {
    Preflight p = healthy();
    p.governor = "powersave";
    p.cpus = 1;
    p.somaxconn.reset();
    const auto warnings = preflight_warnings(p, 100);
    ASSERT_EQ(warnings.size(), 3u);
    EXPECT_NE(warnings[0].find("somaxconn could not be read"), std::string::npos);
    EXPECT_NE(warnings[1].find("'powersave'"), std::string::npos);
    EXPECT_NE(warnings[2].find("only 1 CPU"), std::string::npos);
}

TEST(PreflightWarnings, NoCpufreqIsNotAWarning) {
    Preflight p = healthy();
    p.governor.reset();
    EXPECT_TRUE(preflight_warnings(p, 100).empty());
}

} // namespace
