// format_response, checked by parsing its bytes back. The output buffer is
// exactly max_response_size bytes before a PROT_NONE page, so an overrun
// crashes instead of passing.
#include "http/response.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "guarded_buffer.hpp"
#include "printers.hpp"

namespace {

using pb::Reply;
using pb::Status;

constexpr std::string_view date = "Sun, 06 Nov 1994 08:49:37 GMT";

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

struct Response {
    std::string status_line;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::size_t head_size = 0;

    int count(std::string_view name) const {
        return static_cast<int>(std::count_if(headers.begin(), headers.end(),
                                              [&](const auto& h) { return iequals(h.first, name); }));
    }
    // The value of a header that must appear exactly once ("" otherwise).
    std::string header(std::string_view name) const {
        if (count(name) != 1) return "";
        for (const auto& h : headers)
            if (iequals(h.first, name)) return h.second;
        return "";
    }
};

// Strict enough for our own output: CRLF everywhere, "Name: value" headers.
Response parse_response(std::string_view bytes) {
    Response response;
    const auto end = bytes.find("\r\n\r\n");
    EXPECT_NE(end, std::string_view::npos) << "no end of head";
    if (end == std::string_view::npos) return response;
    response.head_size = end + 4;
    response.body = std::string(bytes.substr(response.head_size));
    std::string_view head = bytes.substr(0, end + 2);
    bool first = true;
    while (!head.empty()) {
        const auto eol = head.find("\r\n");
        const std::string_view line = head.substr(0, eol);
        head.remove_prefix(eol + 2);
        EXPECT_EQ(line.find('\n'), std::string_view::npos) << "bare LF in " << line;
        EXPECT_EQ(line.find('\r'), std::string_view::npos) << "bare CR in " << line;
        if (first) {
            response.status_line = std::string(line);
            first = false;
            continue;
        }
        const auto colon = line.find(": ");
        EXPECT_NE(colon, std::string_view::npos) << "bad header line " << line;
        if (colon == std::string_view::npos) continue;
        response.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    }
    return response;
}

Response format(const Reply& reply) {
    GuardedBuffer memory(pb::max_response_size);
    const auto out = memory.tail(pb::max_response_size);
    const std::size_t size = pb::format_response(reply, date, out);
    EXPECT_LE(size, pb::max_response_size);
    return parse_response(std::string_view(out.data(), std::min(size, out.size())));
}

Reply ok_reply() { return Reply{}; }

// Every 200: the same head but for Connection, and the body unless HEAD.
// HTTP/1.1 keeps alive by default, so it sends no Connection header: a
// "close" there would end every connection.
TEST(FormatResponse, OkRepliesByKeepAliveBodyAndVersion) {
    const struct {
        const char* what;
        Reply reply;
        const char* connection; // nullptr: no Connection header at all
        std::string_view body;
    } rows[] = {
        {"GET, HTTP/1.1", ok_reply(), nullptr, pb::hello_body},
        {"HEAD: the headers a GET gets, no body", {.with_body = false}, nullptr, ""},
        {"close is announced", {.keep_alive = false}, "close", pb::hello_body},
        {"HTTP/1.0 keep-alive is announced", {.http10 = true}, "keep-alive", pb::hello_body},
        {"HTTP/1.0 close is announced", {.keep_alive = false, .http10 = true}, "close", pb::hello_body},
    };
    EXPECT_EQ(pb::hello_body, "Hello, World!");
    for (const auto& row : rows) {
        SCOPED_TRACE(row.what);
        const Response r = format(row.reply);
        EXPECT_EQ(r.status_line, "HTTP/1.1 200 OK");
        EXPECT_EQ(r.header("Server"), "prefork-bench");
        EXPECT_EQ(r.header("Date"), date);
        EXPECT_EQ(r.header("Content-Type"), "text/plain");
        EXPECT_EQ(r.header("Content-Length"), "13");
        EXPECT_EQ(r.count("Connection"), row.connection ? 1 : 0);
        EXPECT_EQ(r.header("Connection"), row.connection ? row.connection : "");
        EXPECT_EQ(r.body, row.body);
    }
}

const struct {
    Status status;
    std::string_view line;
    std::string_view reason;
} error_statuses[] = {
    {Status::bad_request, "HTTP/1.1 400 Bad Request", "Bad Request"},
    {Status::method_not_allowed, "HTTP/1.1 405 Method Not Allowed", "Method Not Allowed"},
    {Status::request_timeout, "HTTP/1.1 408 Request Timeout", "Request Timeout"},
    {Status::header_fields_too_large, "HTTP/1.1 431 Request Header Fields Too Large",
     "Request Header Fields Too Large"},
    {Status::not_implemented, "HTTP/1.1 501 Not Implemented", "Not Implemented"},
    {Status::version_not_supported, "HTTP/1.1 505 HTTP Version Not Supported", "HTTP Version Not Supported"},
};

TEST(FormatResponse, ErrorReplies) {
    for (const auto& c : error_statuses) {
        SCOPED_TRACE(c.line);
        const Response r = format(pb::reject(c.status));
        EXPECT_EQ(r.status_line, c.line);
        EXPECT_EQ(r.header("Server"), "prefork-bench");
        EXPECT_EQ(r.header("Date"), date);
        EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
        EXPECT_EQ(r.header("Connection"), "close");
    }
}

// RFC 9110 15.5.6: a 405 response MUST carry Allow with the supported methods.
TEST(FormatResponse, MethodNotAllowedListsAllow) {
    const std::string allow = format(pb::reject(Status::method_not_allowed)).header("Allow");
    EXPECT_NE(allow.find("GET"), std::string::npos) << "Allow: " << allow;
    EXPECT_NE(allow.find("HEAD"), std::string::npos) << "Allow: " << allow;
}

TEST(FormatResponse, NeverExceedsMaxResponseSize) {
    const Status statuses[] = {Status::ok, Status::bad_request, Status::method_not_allowed,
                               Status::request_timeout, Status::header_fields_too_large,
                               Status::not_implemented, Status::version_not_supported};
    for (Status status : statuses) {
        for (int flags = 0; flags < 8; ++flags) {
            Reply reply;
            reply.status = status;
            reply.keep_alive = flags & 1;
            reply.with_body = flags & 2;
            reply.http10 = flags & 4;
            SCOPED_TRACE(testing::Message() << static_cast<int>(status) << " flags " << flags);
            const Response r = format(reply);
            EXPECT_FALSE(r.header("Content-Length").empty());
            if (reply.with_body) {
                EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
            } else {
                EXPECT_EQ(r.body, "");
            }
        }
    }
}

TEST(FormatResponse, ReturnsTheBytesWritten) {
    GuardedBuffer memory(pb::max_response_size);
    const auto out = memory.tail(pb::max_response_size);
    const std::size_t size = pb::format_response(ok_reply(), date, out);
    const Response r = parse_response(std::string_view(out.data(), size));
    EXPECT_EQ(size, r.head_size + 13);
}

} // namespace
