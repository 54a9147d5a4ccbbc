// The schedule file: the header and the records as documented, exactly the
// planned schedule, and a path that cannot be written named in the error.
#include "load/schedule_file.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

#include "schedule_file_reader.hpp"
#include "support/temp_dir.hpp"

namespace pb::load {
namespace {

using namespace std::chrono_literals;

ScheduleSpec poisson_with_costs() {
    ScheduleSpec spec;
    spec.rate = 3000;
    spec.duration = 3s;
    spec.costs = {parse_cost("work=exp:1ms"), parse_cost("delay=bimodal:0.5:1ms:7ms")};
    spec.seed = 11;
    return spec;
}

TEST(ScheduleFile, HoldsTheHeaderAndEveryPlannedRequestInOrder) {
    test_support::TempDir temp;
    const std::vector<PlannedRequest> plan = plan_schedule(poisson_with_costs());
    ASSERT_GT(plan.size(), 4096u * 2) << "more than one chunk of the writer";
    const auto path = temp.path() / "schedule.bin";
    write_schedule_file(path, plan, 1'000'000'000, 3'000'000'000);
    const std::optional<test::ScheduleFile> file = test::read_schedule_file(path);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->magic, "PBSCHED1");
    EXPECT_EQ(file->version, 1u);
    EXPECT_EQ(file->record_size, 16u);
    EXPECT_EQ(file->count, plan.size());
    EXPECT_EQ(file->warmup_ns, 1'000'000'000);
    EXPECT_EQ(file->length_ns, 3'000'000'000);
    EXPECT_EQ(file->file_size, 40 + 16 * plan.size()) << "nothing after the records";
    EXPECT_EQ(file->records, plan);
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp")) << "renamed, not copied";
}

TEST(ScheduleFile, AnEmptyScheduleIsTheHeaderAlone) {
    test_support::TempDir temp;
    const auto path = temp.path() / "empty.bin";
    write_schedule_file(path, {}, 0, 1);
    const std::optional<test::ScheduleFile> file = test::read_schedule_file(path);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->count, 0u);
    EXPECT_EQ(file->file_size, 40u);
}

TEST(ScheduleFile, AnUnwritablePathIsNamedWithStrerror) {
    test_support::TempDir temp;
    const auto path = temp.path() / "no-such-dir" / "schedule.bin";
    try {
        write_schedule_file(path, {{1, 2, 3}}, 0, 10);
        FAIL() << "wrote into a missing directory";
    } catch (const std::system_error& error) {
        const std::string what = error.what();
        EXPECT_NE(what.find("open(" + path.string() + ".tmp)"), std::string::npos) << what;
        EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

} // namespace
} // namespace pb::load
