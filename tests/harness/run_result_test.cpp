#include "results/run_result.hpp"

#include <gtest/gtest.h>

namespace pb::harness {
namespace {

TEST(RunStatusTest, NamesAsRunsCsvWritesThem) {
    EXPECT_EQ(to_string(RunStatus::ok), "ok");
    EXPECT_EQ(to_string(RunStatus::failed), "failed");
    EXPECT_EQ(to_string(RunStatus::interrupted), "interrupted");
}

} // namespace
} // namespace pb::harness
