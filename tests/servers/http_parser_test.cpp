// parse_request, table-driven in the style of picohttpparser's tests. Every
// buffer is placed right before a PROT_NONE page, so reading one byte past
// the end of the input crashes the test instead of passing by luck.
#include "http/http_parser.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "guarded_buffer.hpp"
#include "printers.hpp"

namespace {

using namespace std::literals;
using pb::Method;
using pb::ParseResult;
using pb::Request;

// What a complete parse must report; head_size is always the raw length.
struct Fields {
    Method kind;
    std::string_view method;
    std::string_view target;
    int minor;
    bool keep_alive;
    bool transfer_encoding;
    std::uint64_t content_length;
};

struct Case {
    std::string_view label;
    std::string_view raw;
    ParseResult result;
    Fields want; // only meaningful when result is complete
};

Case ok(std::string_view label, std::string_view raw, Fields want) {
    return {label, raw, ParseResult::complete, want};
}

Case fails(std::string_view label, std::string_view raw, ParseResult result) {
    return {label, raw, result, {}};
}

constexpr bool keep = true;
constexpr bool close = false;
constexpr bool te = true;
constexpr bool no_te = false;
constexpr auto malformed = ParseResult::malformed;

// The request `wrk -H 'Connection: keep-alive' ...` sends, byte for byte.
constexpr std::string_view wrk_request =
    "GET / HTTP/1.1\r\nHost: localhost\r\n"
    "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n"
    "Connection: keep-alive\r\n\r\n";

const Case cases[] = {
    ok("simple GET", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", {Method::get, "GET", "/", 1, keep, no_te, 0}),
    ok("no headers", "GET / HTTP/1.1\r\n\r\n", {Method::get, "GET", "/", 1, keep, no_te, 0}),
    ok("HEAD", "HEAD /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n", {Method::head, "HEAD", "/index.html", 1, keep, no_te, 0}),
    ok("query in target", "GET /a/b?c=d&e=%20 HTTP/1.1\r\n\r\n", {Method::get, "GET", "/a/b?c=d&e=%20", 1, keep, no_te, 0}),
    ok("HTTP/1.0 closes by default", "GET / HTTP/1.0\r\n\r\n", {Method::get, "GET", "/", 0, close, no_te, 0}),
    ok("HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", {Method::get, "GET", "/", 0, keep, no_te, 0}),
    ok("HTTP/1.1 close", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", {Method::get, "GET", "/", 1, close, no_te, 0}),
    ok("token list keeps alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive, Upgrade\r\n\r\n", {Method::get, "GET", "/", 0, keep, no_te, 0}),
    ok("token list closes", "GET / HTTP/1.1\r\nConnection: Upgrade, close\r\n\r\n", {Method::get, "GET", "/", 1, close, no_te, 0}),
    ok("uppercase name and value", "GET / HTTP/1.1\r\nCONNECTION: CLOSE\r\n\r\n", {Method::get, "GET", "/", 1, close, no_te, 0}),
    ok("lowercase name", "GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n", {Method::get, "GET", "/", 0, keep, no_te, 0}),
    ok("no space after colon", "GET / HTTP/1.1\r\nConnection:close\r\n\r\n", {Method::get, "GET", "/", 1, close, no_te, 0}),
    ok("trailing whitespace", "GET / HTTP/1.1\r\nConnection: close \t\r\n\r\n", {Method::get, "GET", "/", 1, close, no_te, 0}),
    ok("token is not a prefix", "GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", {Method::get, "GET", "/", 1, keep, no_te, 0}),
    ok("similar header ignored", "GET / HTTP/1.1\r\nX-Connection: close\r\n\r\n", {Method::get, "GET", "/", 1, keep, no_te, 0}),
    ok("empty header value", "GET / HTTP/1.1\r\nX-Empty:\r\n\r\n", {Method::get, "GET", "/", 1, keep, no_te, 0}),
    ok("Content-Length", "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", {Method::get, "GET", "/", 1, keep, no_te, 5}),
    ok("large Content-Length", "GET / HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n", {Method::get, "GET", "/", 1, keep, no_te, 1000000}),
    ok("equal Content-Length twice", "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", {Method::get, "GET", "/", 1, keep, no_te, 5}),
    fails("conflicting Content-Length", "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", malformed),
    fails("non-digit Content-Length", "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", malformed),
    fails("Content-Length with junk", "GET / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n", malformed),
    fails("negative Content-Length", "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", malformed),
    fails("empty Content-Length", "GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", malformed),
    fails("Content-Length overflows", "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", malformed),
    ok("Transfer-Encoding", "POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", {Method::other, "POST", "/upload", 1, keep, te, 0}),
    ok("wrk request", wrk_request, {Method::get, "GET", "/", 1, keep, no_te, 0}),
    ok("leading empty line", "\r\nGET / HTTP/1.1\r\n\r\n", {Method::get, "GET", "/", 1, keep, no_te, 0}), // RFC 9112 2.2
    ok("LF line endings", "GET / HTTP/1.1\nHost: localhost\nConnection: close\n\n", {Method::get, "GET", "/", 1, close, no_te, 0}),
    ok("unknown method", "PURGE /cache HTTP/1.1\r\n\r\n", {Method::other, "PURGE", "/cache", 1, keep, no_te, 0}),
    ok("method with a dash", "M-SEARCH * HTTP/1.1\r\n\r\n", {Method::other, "M-SEARCH", "*", 1, keep, no_te, 0}),
    fails("lowercase method", "get / HTTP/1.1\r\n\r\n", malformed),
    fails("garbage in method", "G@T / HTTP/1.1\r\n\r\n", malformed),
    fails("missing target", "GET HTTP/1.1\r\n\r\n", malformed),
    fails("empty target", "GET  HTTP/1.1\r\n\r\n", malformed),
    fails("missing version", "GET /\r\n\r\n", malformed),
    fails("empty version", "GET / \r\n\r\n", malformed),
    fails("HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", ParseResult::version_not_supported),
    fails("junk after version", "GET / HTTP/1.1x\r\n\r\n", malformed),
    fails("bare CR after version", "GET / HTTP/1.1\rX\r\n\r\n", malformed),
    fails("header without colon", "GET / HTTP/1.1\r\nHost localhost\r\n\r\n", malformed),
    fails("space before colon", "GET / HTTP/1.1\r\nHost : localhost\r\n\r\n", malformed),
    fails("empty header name", "GET / HTTP/1.1\r\n: localhost\r\n\r\n", malformed),
    fails("obs-fold continuation", "GET / HTTP/1.1\r\nHost: local\r\n host\r\n\r\n", malformed),
    fails("control char in target", "GET /a\x01" "b HTTP/1.1\r\n\r\n", malformed),
    fails("DEL in target", "GET /a\x7f" "b HTTP/1.1\r\n\r\n", malformed),
    fails("NUL in header value", "GET / HTTP/1.1\r\nX-Nul: a\0b\r\n\r\n"sv, malformed),
};

class ParseTable : public testing::TestWithParam<Case> {};

// Views must point into the caller's buffer: the parser copies nothing.
bool inside(std::string_view part, std::string_view buffer) {
    return part.data() >= buffer.data() && part.data() + part.size() <= buffer.data() + buffer.size();
}

void expect_fields(const Case& c, std::string_view buffer, const Request& request) {
    EXPECT_EQ(request.method_kind, c.want.kind);
    EXPECT_EQ(request.method, c.want.method);
    EXPECT_EQ(request.target, c.want.target);
    EXPECT_EQ(request.version_minor, c.want.minor);
    EXPECT_EQ(request.keep_alive, c.want.keep_alive);
    EXPECT_EQ(request.has_transfer_encoding, c.want.transfer_encoding);
    EXPECT_EQ(request.content_length, c.want.content_length);
    EXPECT_EQ(request.head_size, c.raw.size());
    EXPECT_TRUE(inside(request.method, buffer));
    EXPECT_TRUE(inside(request.target, buffer));
}

TEST_P(ParseTable, WholeBuffer) {
    const Case& c = GetParam();
    GuardedBuffer memory(c.raw.size());
    const std::string_view buffer = memory.place(c.raw);
    Request request;
    ASSERT_EQ(pb::parse_request(buffer, request), c.result);
    if (c.result == ParseResult::complete) expect_fields(c, buffer, request);
}

// Feeds the case one byte at a time, as a slow client would. A valid request
// is incomplete until its last byte; an invalid one may be caught early, but
// no prefix may ever be reported complete or as a different error.
TEST_P(ParseTable, ByteByByte) {
    const Case& c = GetParam();
    GuardedBuffer memory(c.raw.size());
    for (std::size_t size = 0; size < c.raw.size(); ++size) {
        Request request;
        const ParseResult got = pb::parse_request(memory.place(c.raw.substr(0, size)), request);
        if (c.result == ParseResult::complete) {
            ASSERT_EQ(got, ParseResult::incomplete) << "prefix of " << size << " bytes";
        } else if (got != ParseResult::incomplete) {
            ASSERT_EQ(got, c.result) << "prefix of " << size << " bytes";
        }
    }
    const std::string_view buffer = memory.place(c.raw);
    Request request;
    ASSERT_EQ(pb::parse_request(buffer, request), c.result);
    if (c.result == ParseResult::complete) expect_fields(c, buffer, request);
}

std::string test_name(const testing::TestParamInfo<Case>& info) {
    std::string name;
    for (char ch : info.param.label) {
        name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, ParseTable, testing::ValuesIn(cases), test_name);

// The guard itself: without it every test above could over-read unnoticed.
TEST(GuardedBufferDeathTest, ReadingPastTheEndFaults) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    GuardedBuffer memory(16);
    const std::string_view bytes = memory.place("GET");
    EXPECT_DEATH(
        {
            volatile const char* past = bytes.data() + bytes.size();
            (void)*past;
        },
        "");
}

// A head of exactly `size` bytes (or its first `size` bytes, unterminated).
std::string head_of_size(std::size_t size, bool terminated) {
    std::string head = "GET / HTTP/1.1\r\nX-Fill: ";
    const std::string_view end = terminated ? "\r\n\r\n" : "";
    head.append(size - head.size() - end.size(), 'a');
    head += end;
    return head;
}

TEST(ParseRequest, HeadOfExactlyMaxSizeIsComplete) {
    const std::string raw = head_of_size(pb::max_head_size, true);
    GuardedBuffer memory(raw.size());
    Request request;
    ASSERT_EQ(pb::parse_request(memory.place(raw), request), ParseResult::complete);
    EXPECT_EQ(request.head_size, pb::max_head_size);
}

TEST(ParseRequest, CompleteHeadOverMaxSizeIsTooLarge) {
    const std::string raw = head_of_size(pb::max_head_size + 1, true);
    GuardedBuffer memory(raw.size());
    Request request;
    EXPECT_EQ(pb::parse_request(memory.place(raw), request), ParseResult::head_too_large);
}

TEST(ParseRequest, IncompleteHeadOverMaxSizeIsTooLarge) {
    const std::string raw = head_of_size(pb::max_head_size + 1, false);
    GuardedBuffer memory(raw.size());
    Request request;
    EXPECT_EQ(pb::parse_request(memory.place(raw), request), ParseResult::head_too_large);
}

TEST(ParseRequest, IncompleteHeadUnderMaxSizeWaits) {
    // 4 bytes short of the limit, so even the shortest ending still fits.
    const std::string raw = head_of_size(pb::max_head_size - 4, false);
    GuardedBuffer memory(raw.size());
    Request request;
    EXPECT_EQ(pb::parse_request(memory.place(raw), request), ParseResult::incomplete);
}

TEST(ParseRequest, OnlyTheHeadCountsTowardsTheLimit) {
    // A short head followed by a long body (or pipelined data) in the buffer.
    const std::string raw = std::string(wrk_request) + std::string(3 * pb::max_head_size, 'x');
    GuardedBuffer memory(raw.size());
    Request request;
    ASSERT_EQ(pb::parse_request(memory.place(raw), request), ParseResult::complete);
    EXPECT_EQ(request.head_size, wrk_request.size());
}

TEST(ParseRequest, ManyHeaders) {
    // The parser keeps no header array, so only the size limit applies.
    std::string raw = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 500; ++i) raw += "X-" + std::to_string(i) + ": v\r\n";
    raw += "Connection: close\r\n\r\n";
    ASSERT_LE(raw.size(), pb::max_head_size);
    GuardedBuffer memory(raw.size());
    Request request;
    ASSERT_EQ(pb::parse_request(memory.place(raw), request), ParseResult::complete);
    EXPECT_FALSE(request.keep_alive);
    EXPECT_EQ(request.head_size, raw.size());
}

TEST(ParseRequest, PipelinedHeadSize) {
    const std::string_view first = "GET /first HTTP/1.1\r\nHost: a\r\n\r\n";
    const std::string_view second = "HEAD /second HTTP/1.0\r\n\r\n";
    const std::string raw = std::string(first) + std::string(second);
    GuardedBuffer memory(raw.size());
    const std::string_view buffer = memory.place(raw);

    Request request;
    ASSERT_EQ(pb::parse_request(buffer, request), ParseResult::complete);
    EXPECT_EQ(request.target, "/first");
    ASSERT_EQ(request.head_size, first.size());

    Request next;
    ASSERT_EQ(pb::parse_request(buffer.substr(request.head_size), next), ParseResult::complete);
    EXPECT_EQ(next.method_kind, Method::head);
    EXPECT_EQ(next.target, "/second");
    EXPECT_EQ(next.version_minor, 0);
    EXPECT_EQ(next.head_size, second.size());
}

TEST(ParseRequest, ReusedRequestIsOverwritten) {
    // A session reuses one Request; nothing from the previous head may leak.
    Request request;
    ASSERT_EQ(pb::parse_request("POST /a HTTP/1.0\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n",
                                request),
              ParseResult::complete);
    ASSERT_EQ(pb::parse_request("HEAD /b HTTP/1.1\r\n\r\n", request), ParseResult::complete);
    EXPECT_EQ(request.method_kind, Method::head);
    EXPECT_EQ(request.version_minor, 1);
    EXPECT_TRUE(request.keep_alive);
    EXPECT_FALSE(request.has_transfer_encoding);
    EXPECT_EQ(request.content_length, 0u);
}

} // namespace
