#include "http/http_session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "printers.hpp"

namespace {

using namespace std::chrono_literals;
using pb::HttpSession;
using pb::Reply;
using pb::Status;

constexpr std::string_view wrk_request =
    "GET / HTTP/1.1\r\nHost: localhost\r\n"
    "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n"
    "Connection: keep-alive\r\n\r\n";

class Session : public testing::Test {
protected:
    // Copies bytes in as reads would, each at most `chunk` bytes, collecting
    // every reply that becomes available after each read.
    void feed(std::string_view bytes, std::size_t chunk = SIZE_MAX) {
        while (!bytes.empty()) {
            const std::span<char> space = session->free_space();
            ASSERT_FALSE(space.empty()) << "buffer full with " << bytes.size() << " bytes to go";
            const std::size_t n = std::min({chunk, space.size(), bytes.size()});
            std::memcpy(space.data(), bytes.data(), n);
            session->received(n);
            bytes.remove_prefix(n);
            drain();
        }
    }
    // Stops after a closing reply, as every model does: what follows it on
    // the connection is never read.
    void drain() {
        while (auto reply = session->next_reply(config, counters)) {
            replies.push_back(*reply);
            if (!reply->keep_alive) break;
        }
    }

    // A new connection: a fresh session, counters and replies.
    void start_over() {
        session = attached_session(buffer);
        counters = pb::WorkerCounters{};
        replies.clear();
    }

    // The model owns the buffer and attaches it (servers/http/buffer_pool.hpp).
    static std::unique_ptr<HttpSession> attached_session(std::vector<char>& buffer) {
        auto session = std::make_unique<HttpSession>();
        session->attach(buffer);
        return session;
    }

    std::vector<char> buffer = std::vector<char>(HttpSession::buffer_size);
    std::unique_ptr<HttpSession> session = attached_session(buffer);
    pb::HandlerConfig config{0ns, 0ns};
    pb::WorkerCounters counters;
    std::vector<Reply> replies;
};

TEST_F(Session, NothingBufferedNoReply) {
    EXPECT_FALSE(session->next_reply(config, counters).has_value());
    EXPECT_FALSE(session->mid_request());
    EXPECT_FALSE(session->free_space().empty());
    EXPECT_LE(session->free_space().size(), HttpSession::buffer_size);
}

TEST_F(Session, OneRequestInOnePiece) {
    feed(wrk_request);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, Status::ok);
    EXPECT_TRUE(replies[0].keep_alive);
    EXPECT_TRUE(replies[0].with_body);
    EXPECT_FALSE(replies[0].waits());
    EXPECT_FALSE(session->next_reply(config, counters).has_value());
    EXPECT_FALSE(session->mid_request());
    EXPECT_EQ(counters.parse_errors, 0u);
}

TEST_F(Session, OneRequestByteByByte) {
    for (std::size_t i = 0; i + 1 < wrk_request.size(); ++i) {
        feed(wrk_request.substr(i, 1));
        ASSERT_TRUE(replies.empty()) << "reply after " << i + 1 << " bytes";
        ASSERT_TRUE(session->mid_request());
    }
    feed(wrk_request.substr(wrk_request.size() - 1));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, Status::ok);
    EXPECT_FALSE(session->mid_request());
}

TEST_F(Session, PipelinedRepliesInOrder) {
    const std::string three = "GET /1 HTTP/1.1\r\n\r\n"
                              "HEAD /2 HTTP/1.1\r\n\r\n"
                              "GET /3 HTTP/1.1\r\nConnection: close\r\n\r\n";
    ASSERT_GE(session->free_space().size(), three.size());
    std::memcpy(session->free_space().data(), three.data(), three.size());
    session->received(three.size());
    for (int i = 0; i < 3; ++i) {
        auto reply = session->next_reply(config, counters);
        ASSERT_TRUE(reply.has_value()) << "reply " << i;
        replies.push_back(*reply);
    }
    EXPECT_FALSE(session->next_reply(config, counters).has_value());
    EXPECT_TRUE(replies[0].with_body);
    EXPECT_TRUE(replies[0].keep_alive);
    EXPECT_FALSE(replies[1].with_body);
    EXPECT_TRUE(replies[1].keep_alive);
    EXPECT_TRUE(replies[2].with_body);
    EXPECT_FALSE(replies[2].keep_alive);
    EXPECT_FALSE(session->mid_request());
}

constexpr std::string_view with_body = "GET /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
constexpr std::string_view after_body = "GET /b HTTP/1.1\r\n\r\n";

TEST_F(Session, BodyIsDiscardedWhetherItArrivesAtOnceOrByteByByte) {
    for (const std::size_t chunk : {SIZE_MAX, std::size_t{1}}) {
        SCOPED_TRACE(testing::Message() << "reads of at most " << chunk << " bytes");
        start_over();
        feed(std::string(with_body) + std::string(after_body), chunk);
        ASSERT_EQ(replies.size(), 2u);
        EXPECT_EQ(replies[0].status, Status::ok);
        EXPECT_EQ(replies[1].status, Status::ok);
        EXPECT_EQ(counters.parse_errors, 0u);
        EXPECT_FALSE(session->mid_request());
    }
}

TEST_F(Session, PartialBodyIsMidRequest) {
    feed("GET /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhe");
    EXPECT_TRUE(session->mid_request());
    feed("llo");
    EXPECT_FALSE(session->mid_request());
    EXPECT_EQ(replies.size(), 1u);
}

TEST_F(Session, BodyLargerThanTheBufferIsDiscarded) {
    const std::size_t size = 10 * HttpSession::buffer_size + 7;
    const std::string request = "GET /a HTTP/1.1\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n" +
                                std::string(size, 'x') + std::string(after_body);
    feed(request);
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].status, Status::ok);
    EXPECT_EQ(replies[1].status, Status::ok);
    EXPECT_EQ(counters.parse_errors, 0u);
}

TEST_F(Session, LongPipelinedStreamInOddPieces) {
    // Heads and bodies straddle every read boundary and the buffer's end.
    std::string stream;
    for (int i = 0; i < 150; ++i) {
        stream += wrk_request;
        stream += with_body;
    }
    std::size_t chunk = 1;
    std::string_view rest = stream;
    while (!rest.empty()) {
        const std::size_t n = std::min(chunk, rest.size());
        feed(rest.substr(0, n));
        rest.remove_prefix(n);
        chunk = chunk % 997 + 1;
    }
    ASSERT_EQ(replies.size(), 300u);
    for (const Reply& reply : replies) EXPECT_EQ(reply.status, Status::ok);
    EXPECT_EQ(counters.parse_errors, 0u);
    EXPECT_FALSE(session->mid_request());
}

TEST_F(Session, ManyRequestsNeverFillTheBuffer) {
    for (int i = 0; i < 1000; ++i) {
        feed(wrk_request);
        ASSERT_EQ(replies.size(), static_cast<std::size_t>(i + 1));
    }
    EXPECT_FALSE(session->mid_request());
}

TEST_F(Session, UnparsableRequestIsRefusedAndCounted) {
    const struct {
        const char* what;
        std::string_view request;
        Status status;
    } rows[] = {
        {"malformed header", "GET / HTTP/1.1\r\nHost localhost\r\n\r\n", Status::bad_request},
        {"unsupported version", "GET / HTTP/2.0\r\n\r\n", Status::version_not_supported},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.what);
        start_over();
        feed(row.request);
        ASSERT_GE(replies.size(), 1u);
        EXPECT_EQ(replies[0].status, row.status);
        EXPECT_FALSE(replies[0].keep_alive);
        EXPECT_EQ(counters.parse_errors, 1u);
    }
}

TEST_F(Session, EndlessHeadIs431) {
    std::string head = "GET / HTTP/1.1\r\nX-Fill: ";
    head.append(8000 - head.size(), 'a');
    feed(head, 1000);
    // Even the shortest ending would keep this head within the limit.
    EXPECT_TRUE(replies.empty());
    EXPECT_TRUE(session->mid_request());
    feed(std::string(pb::max_head_size + 1 - head.size(), 'a'));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, Status::header_fields_too_large);
    EXPECT_FALSE(replies[0].keep_alive);
    EXPECT_EQ(counters.parse_errors, 1u);
}

TEST_F(Session, MidRequestWithAPartialHead) {
    EXPECT_FALSE(session->mid_request());
    feed("GET / HT");
    EXPECT_TRUE(session->mid_request());
    EXPECT_TRUE(replies.empty());
    feed("TP/1.1\r\n\r\n");
    EXPECT_EQ(replies.size(), 1u);
    EXPECT_FALSE(session->mid_request());
}

TEST_F(Session, ResetClearsEverything) {
    feed("GET /a HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial body");
    feed("GET / HT");
    ASSERT_TRUE(session->mid_request());
    session->reset();
    EXPECT_FALSE(session->mid_request());
    EXPECT_FALSE(session->next_reply(config, counters).has_value());
    replies.clear();
    feed(wrk_request);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, Status::ok);
    EXPECT_FALSE(session->mid_request());
}

TEST_F(Session, HandlerDecidesTheReply) {
    config.delay = 100ms;
    feed("HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nDELETE / HTTP/1.1\r\n\r\n");
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].status, Status::ok);
    EXPECT_FALSE(replies[0].with_body);
    EXPECT_TRUE(replies[0].http10);
    EXPECT_TRUE(replies[0].waits());
    EXPECT_EQ(replies[1].status, Status::method_not_allowed);
}

} // namespace
