#include "http/handler.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <string_view>

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

// Every field, so that a row says the whole reply and no field goes unchecked.
void expect_reply(const Reply& actual, const Reply& expected) {
    EXPECT_EQ(actual.status, expected.status);
    EXPECT_EQ(actual.with_body, expected.with_body) << "with_body";
    EXPECT_EQ(actual.keep_alive, expected.keep_alive) << "keep_alive";
    EXPECT_EQ(actual.http10, expected.http10) << "http10";
    EXPECT_EQ(actual.delay, expected.delay) << "delay";
}

// A refusal: it closes, sends its body at once, and says nothing of HTTP/1.0.
Reply refusal(Status status) {
    return {.status = status, .keep_alive = false, .with_body = true, .http10 = false, .delay = 0ns};
}

Request http10_keep_alive_get() {
    Request request = request_for(Method::get);
    request.version_minor = 0;
    request.keep_alive = true;
    return request;
}

Request closing_get() {
    Request request = request_for(Method::get);
    request.keep_alive = false;
    return request;
}

// The body length is unknown without chunked decoding, so the connection
// cannot be reused.
Request transfer_encoding_get() {
    Request request = request_for(Method::get);
    request.has_transfer_encoding = true;
    return request;
}

TEST(Handle, RepliesByMethodVersionConnectionAndDelay) {
    const struct {
        const char* what;
        Request request;
        std::chrono::nanoseconds delay;
        Reply expected;
    } rows[] = {
        {"GET waits when delayed", request_for(Method::get), 100ms,
         {.status = Status::ok, .keep_alive = true, .with_body = true, .http10 = false, .delay = 100ms}},
        {"GET does not wait without delay", request_for(Method::get), 0ns,
         {.status = Status::ok, .keep_alive = true, .with_body = true, .http10 = false, .delay = 0ns}},
        {"HEAD has no body", request_for(Method::head), 0ns,
         {.status = Status::ok, .keep_alive = true, .with_body = false, .http10 = false, .delay = 0ns}},
        {"keep-alive follows the request", closing_get(), 0ns,
         {.status = Status::ok, .keep_alive = false, .with_body = true, .http10 = false, .delay = 0ns}},
        {"HTTP/1.0 keep-alive is marked", http10_keep_alive_get(), 0ns,
         {.status = Status::ok, .keep_alive = true, .with_body = true, .http10 = true, .delay = 0ns}},
        {"other method is 405 and closes", request_for(Method::other), 100ms, refusal(Status::method_not_allowed)},
        {"Transfer-Encoding is 501 and closes", transfer_encoding_get(), 100ms, refusal(Status::not_implemented)},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.what);
        expect_reply(pb::handle(row.request, config_with(row.delay)), row.expected);
    }
}

TEST(Reject, ParseResultsAndStatusesMapToRefusals) {
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
        expect_reply(pb::reject(c.result), refusal(c.status));
    }
    expect_reply(pb::reject(Status::request_timeout), refusal(Status::request_timeout));
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

// --cost-from-request: the query's work= and delay= replace --work and
// --delay for that request; a bad cost is refused like a bad request.
Request get_of(std::string_view target) {
    Request request = request_for(Method::get);
    request.target = target;
    return request;
}

pb::HandlerConfig cost_config(std::chrono::nanoseconds delay, std::chrono::nanoseconds work = 0ns) {
    pb::HandlerConfig config = config_with(delay, work);
    config.cost_from_request = true;
    config.max_cost = 1s;
    return config;
}

Reply served_after(std::chrono::nanoseconds delay) {
    return {.status = Status::ok, .keep_alive = true, .with_body = true, .http10 = false, .delay = delay};
}

TEST(Handle, TakesTheCostFromTheQueryWhenTold) {
    const struct {
        const char* what;
        std::string_view target;
        pb::HandlerConfig config;
        Reply expected;
    } rows[] = {
        {"delay= replaces --delay", "/?delay=250", cost_config(100ms), served_after(250us)},
        {"delay=0 does not wait", "/?delay=0", cost_config(100ms), served_after(0ns)},
        {"no query: --delay", "/", cost_config(100ms), served_after(100ms)},
        {"work= only: --delay", "/?work=0", cost_config(100ms), served_after(100ms)},
        {"other parameters are ignored", "/?x=1&delays=5&y", cost_config(100ms), served_after(100ms)},
        {"exactly --max-cost", "/?delay=1000000", cost_config(0ns), served_after(1s)},
        {"malformed cost is 400 and closes", "/?work=abc", cost_config(0ns), refusal(Status::bad_request)},
        {"cost above --max-cost is 400", "/?delay=1000001", cost_config(0ns), refusal(Status::bad_request)},
        {"without the flag the query is ignored", "/?delay=abc", config_with(100ms), served_after(100ms)},
        {"without the flag no limit applies", "/?delay=99999999999", config_with(0ns), served_after(0ns)},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.what);
        expect_reply(pb::handle(get_of(row.target), row.config), row.expected);
    }
}

TEST(Handle, BurnsTheWorkTheRequestAsksFor) {
    const auto before = thread_cpu_time();
    const Reply reply = pb::handle(get_of("/?work=2000&delay=0"), cost_config(0ns, 0ns));
    EXPECT_GE(thread_cpu_time() - before, 1900us);
    EXPECT_EQ(reply.status, Status::ok);
}

TEST(Handle, WithoutTheFlagTheQueryWorkIsNotBurnt) {
    const auto before = thread_cpu_time();
    const Reply reply = pb::handle(get_of("/?work=500000"), config_with(0ns, 0ns));
    EXPECT_LT(thread_cpu_time() - before, 250ms) << "the query's 500 ms of work was burnt";
    EXPECT_EQ(reply.status, Status::ok);
}

TEST(Handle, ARequestWithoutWorkInItsQueryBurnsTheConfiguredWork) {
    const auto before = thread_cpu_time();
    const Reply reply = pb::handle(get_of("/?delay=5"), cost_config(0ns, 2ms));
    EXPECT_GE(thread_cpu_time() - before, 1900us);
    EXPECT_EQ(reply.delay, 5us);
}

} // namespace
