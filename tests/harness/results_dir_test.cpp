// Every harness run gets a results directory of its own, even two started
// in the same second.
#include <gtest/gtest.h>

#include <fstream>
#include <system_error>

#include "results/results_dir.hpp"
#include "support/temp_dir.hpp"

namespace pb::harness {
namespace {

using test_support::TempDir;

TEST(ResultsDir, CreatesTheParentsAndTheDirectory) {
    TempDir temp;
    const auto dir = create_results_dir(temp.path() / "host" / "deeper", "20261201T120000Z-seed");
    EXPECT_EQ(dir, temp.path() / "host" / "deeper" / "20261201T120000Z-seed");
    EXPECT_TRUE(std::filesystem::is_directory(dir));
}

TEST(ResultsDir, ASecondRunInTheSameSecondGetsASuffix) {
    TempDir temp;
    const auto first = create_results_dir(temp.path(), "20261201T120000Z-seed");
    const auto second = create_results_dir(temp.path(), "20261201T120000Z-seed");
    const auto third = create_results_dir(temp.path(), "20261201T120000Z-seed");
    EXPECT_EQ(first.filename(), "20261201T120000Z-seed");
    EXPECT_EQ(second.filename(), "20261201T120000Z-seed-2");
    EXPECT_EQ(third.filename(), "20261201T120000Z-seed-3");
}

TEST(ResultsDir, AFailureNamesMkdirAndThePath) {
    TempDir temp;
    const auto file = temp.path() / "a-file";
    std::ofstream(file) << "not a directory";
    try {
        create_results_dir(file, "run");
        FAIL() << "created a directory below a file";
    } catch (const std::system_error& error) {
        EXPECT_NE(std::string(error.what()).find("mkdir"), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("a-file"), std::string::npos) << error.what();
    }
}

} // namespace
} // namespace pb::harness
