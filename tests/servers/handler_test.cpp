#include "http/handler.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>

#include "printers.hpp"

namespace {

using namespace std::chrono_literals;
using pb::Method;
using pb::ParseResult;
using pb::Reply;
using pb::Request;
using pb::Status;

Request request_for(Method kind) {
    Request request;
    request.method = kind == Method::get ? "GET" : kind == Method::head ? "HEAD" : "POST";
    request.target = "/";
    request.method_kind = kind;
    return request;
}

pb::HandlerConfig config_with(std::chrono::nanoseconds delay, std::chrono::nanoseconds work = 0ns) {
    pb::HandlerConfig config;
    config.delay = delay;
    config.work = work;
    return config;
}

std::chrono::nanoseconds thread_cpu_time() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

TEST(Handle, GetWaitsWhenDelayed) {
    const Reply reply = pb::handle(request_for(Method::get), config_with(100ms));
    EXPECT_EQ(reply.status, Status::ok);
    EXPECT_TRUE(reply.with_body);
    EXPECT_TRUE(reply.keep_alive);
    EXPECT_FALSE(reply.http10);
    EXPECT_TRUE(reply.waits);
}

TEST(Handle, GetDoesNotWaitWithoutDelay) {
    const Reply reply = pb::handle(request_for(Method::get), config_with(0ns));
    EXPECT_EQ(reply.status, Status::ok);
    EXPECT_TRUE(reply.with_body);
    EXPECT_FALSE(reply.waits);
}

TEST(Handle, HeadHasNoBody) {
    const Reply reply = pb::handle(request_for(Method::head), config_with(0ns));
    EXPECT_EQ(reply.status, Status::ok);
    EXPECT_FALSE(reply.with_body);
    EXPECT_TRUE(reply.keep_alive);
}

TEST(Handle, KeepAliveFollowsTheRequest) {
    Request request = request_for(Method::get);
    request.keep_alive = false;
    EXPECT_FALSE(pb::handle(request, config_with(0ns)).keep_alive);
}

TEST(Handle, Http10KeepAliveIsMarked) {
    Request request = request_for(Method::get);
    request.version_minor = 0;
    request.keep_alive = true;
    const Reply reply = pb::handle(request, config_with(0ns));
    EXPECT_EQ(reply.status, Status::ok);
    EXPECT_TRUE(reply.keep_alive);
    EXPECT_TRUE(reply.http10);
}

TEST(Handle, OtherMethodIs405AndCloses) {
    const Reply reply = pb::handle(request_for(Method::other), config_with(0ns));
    EXPECT_EQ(reply.status, Status::method_not_allowed);
    EXPECT_FALSE(reply.keep_alive);
}

TEST(Handle, TransferEncodingIs501AndCloses) {
    // The body length is unknown without chunked decoding, so the connection
    // cannot be reused.
    Request request = request_for(Method::get);
    request.has_transfer_encoding = true;
    const Reply reply = pb::handle(request, config_with(0ns));
    EXPECT_EQ(reply.status, Status::not_implemented);
    EXPECT_FALSE(reply.keep_alive);
}

TEST(Reject, ParseResultsMapToStatusesAndClose) {
    const struct {
        ParseResult result;
        Status status;
    } cases[] = {
        {ParseResult::malformed, Status::bad_request},
        {ParseResult::head_too_large, Status::header_fields_too_large},
        {ParseResult::version_not_supported, Status::version_not_supported},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(static_cast<int>(c.status));
        const Reply reply = pb::reject(c.result);
        EXPECT_EQ(reply.status, c.status);
        EXPECT_FALSE(reply.keep_alive);
        EXPECT_FALSE(reply.waits);
    }
}

TEST(Reject, StatusCloses) {
    const Reply reply = pb::reject(Status::request_timeout);
    EXPECT_EQ(reply.status, Status::request_timeout);
    EXPECT_FALSE(reply.keep_alive);
    EXPECT_FALSE(reply.waits);
}

// Lower bounds only: the work is a minimum of CPU time, not a speed target.
// The small slack absorbs the clock's granularity.
TEST(BurnCpu, ConsumesAtLeastTheGivenThreadCpuTime) {
    const auto before = thread_cpu_time();
    pb::burn_cpu(2ms);
    EXPECT_GE(thread_cpu_time() - before, 1900us);
}

TEST(BurnCpu, ZeroIsNearlyFree) {
    const auto before = thread_cpu_time();
    pb::burn_cpu(0ns);
    EXPECT_LT(thread_cpu_time() - before, 1ms);
}

TEST(Handle, BurnsTheConfiguredWork) {
    const auto before = thread_cpu_time();
    const Reply reply = pb::handle(request_for(Method::get), config_with(0ns, 2ms));
    EXPECT_GE(thread_cpu_time() - before, 1900us);
    EXPECT_EQ(reply.status, Status::ok);
}

} // namespace
