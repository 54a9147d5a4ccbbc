#include "results/run_result.hpp"

#include <gtest/gtest.h>

namespace pb::harness {
namespace {

TEST(RunStatusTest, NamesAsRunsCsvWritesThem) {
    EXPECT_EQ(to_string(RunStatus::ok), "ok");
    EXPECT_EQ(to_string(RunStatus::suspect), "suspect");
    EXPECT_EQ(to_string(RunStatus::failed), "failed");
    EXPECT_EQ(to_string(RunStatus::interrupted), "interrupted");
}

TEST(MarkSuspect, AnOkRunBecomesSuspectWithTheReason) {
    RunResult run;
    mark_suspect(run, "sampling the server: process 12 is gone while it was being measured");
    EXPECT_EQ(run.status, RunStatus::suspect);
    EXPECT_EQ(run.reason, "sampling the server: process 12 is gone while it was being measured");
}

TEST(MarkSuspect, EveryReasonIsKept) {
    RunResult run;
    mark_suspect(run, "sampling the server: a");
    mark_suspect(run, "sampling wrk: b");
    EXPECT_EQ(run.status, RunStatus::suspect);
    EXPECT_EQ(run.reason, "sampling the server: a; sampling wrk: b");
}

TEST(MarkSuspect, AFailedOrInterruptedRunKeepsItsOwnStatusAndReason) {
    for (RunStatus status : {RunStatus::failed, RunStatus::interrupted}) {
        RunResult run;
        run.status = status;
        run.reason = "wrk exited with status 1";
        mark_suspect(run, "sampling wrk: b");
        EXPECT_EQ(run.status, status);
        EXPECT_EQ(run.reason, "wrk exited with status 1");
    }
}

} // namespace
} // namespace pb::harness
