#include "http/reply_batch.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_session.hpp"

namespace {

using namespace std::chrono_literals;
using pb::ReplyBatch;
using pb::Status;

constexpr std::string_view get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view date = "Tue, 01 Dec 2026 10:00:00 GMT";

class Batch : public testing::Test {
protected:
    Batch() { session.attach(buffer); }

    void receive(std::string_view bytes) {
        const std::span<char> space = session.free_space();
        ASSERT_GE(space.size(), bytes.size());
        std::memcpy(space.data(), bytes.data(), bytes.size());
        session.received(bytes.size());
    }

    static std::size_t occurrences(std::string_view text, std::string_view piece) {
        std::size_t count = 0;
        for (std::size_t at = text.find(piece); at != std::string_view::npos; at = text.find(piece, at + 1)) ++count;
        return count;
    }

    static std::string repeat(std::string_view text, int times) {
        std::string out;
        for (int i = 0; i < times; ++i) out += text;
        return out;
    }

    std::vector<char> buffer = std::vector<char>(pb::HttpSession::buffer_size);
    pb::HttpSession session;
    pb::HandlerConfig config{0ns, 0ns};
    pb::WorkerCounters counters;
    ReplyBatch batch;
};

TEST_F(Batch, EveryBufferedRequestJoinsTheBatch) {
    receive(repeat(get, 16));
    EXPECT_EQ(pb::collect_replies(session, config, counters, batch), 16u);
    EXPECT_EQ(batch.count, 16u);
    EXPECT_FALSE(session.holds_bytes());
    EXPECT_FALSE(batch.waits());
    EXPECT_FALSE(batch.closes());
}

TEST_F(Batch, APartialRequestStaysBuffered) {
    receive(repeat(get, 2) + std::string(get.substr(0, 10)));
    EXPECT_EQ(pb::collect_replies(session, config, counters, batch), 2u);
    EXPECT_TRUE(session.holds_bytes());
    EXPECT_TRUE(session.mid_request());
}

TEST_F(Batch, StopsWhenFullAndTheRestWaitsForTheNextBatch) {
    receive(repeat(get, ReplyBatch::max_replies + 5));
    EXPECT_EQ(pb::collect_replies(session, config, counters, batch), ReplyBatch::max_replies);
    EXPECT_TRUE(batch.full());
    batch.clear();
    EXPECT_EQ(pb::collect_replies(session, config, counters, batch), 5u);
}

TEST_F(Batch, NothingAfterAClosingReplyIsAnswered) {
    receive(std::string(get) + "GET / HTTP/1.1\r\nConnection: close\r\n\r\n" + std::string(get));
    EXPECT_EQ(pb::collect_replies(session, config, counters, batch), 2u);
    EXPECT_TRUE(batch.closes());
    EXPECT_EQ(pb::collect_replies(session, config, counters, batch), 0u) << "a closing batch takes no more";
}

TEST_F(Batch, AMalformedRequestEndsTheBatchWithItsError) {
    receive(std::string(get) + "BAD\r\n\r\n");
    EXPECT_EQ(pb::collect_replies(session, config, counters, batch), 2u);
    EXPECT_EQ(batch.replies[1].status, Status::bad_request);
    EXPECT_TRUE(batch.closes());
}

TEST_F(Batch, WaitsWhenAnyReplyWaits) {
    config.delay = 1ms;
    receive(repeat(get, 3));
    pb::collect_replies(session, config, counters, batch);
    EXPECT_TRUE(batch.waits());
    EXPECT_EQ(batch.delay(), 1ms);
}

// --cost-from-request: each request asks for its own delay, and the batch,
// whose responses leave together, waits for the longest.
TEST_F(Batch, WaitsForTheLongestDelayOfItsReplies) {
    config.cost_from_request = true;
    receive("GET /?delay=5 HTTP/1.1\r\n\r\nGET /?delay=300 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(pb::collect_replies(session, config, counters, batch), 3u);
    EXPECT_EQ(batch.replies[0].delay, 5us);
    EXPECT_EQ(batch.replies[2].delay, 0us) << "--delay 0 for the request without a cost";
    EXPECT_EQ(batch.delay(), 300us);
    EXPECT_TRUE(batch.waits());
}

TEST_F(Batch, ABatchWithoutDelaysDoesNotWait) {
    config.cost_from_request = true;
    receive("GET /?delay=0 HTTP/1.1\r\n\r\nGET /?work=1 HTTP/1.1\r\n\r\n");
    EXPECT_EQ(pb::collect_replies(session, config, counters, batch), 2u);
    EXPECT_EQ(batch.delay(), 0us);
    EXPECT_FALSE(batch.waits());
}

TEST_F(Batch, FormatsTheResponsesBackToBackInOrder) {
    receive(std::string(get) + "HEAD / HTTP/1.1\r\n\r\n" + std::string(get));
    pb::collect_replies(session, config, counters, batch);
    std::vector<char> out(ReplyBatch::output_size);
    const std::size_t size = pb::format_batch(batch, date, out);
    const std::string text(out.data(), size);

    std::vector<char> one(pb::max_response_size);
    std::string expected;
    for (std::size_t i = 0; i < batch.count; ++i)
        expected.append(one.data(), pb::format_response(batch.replies[i], date, one));
    EXPECT_EQ(text, expected);
    EXPECT_EQ(occurrences(text, "HTTP/1.1 200 OK\r\n"), 3u);
    EXPECT_EQ(occurrences(text, "Hello, World!"), 2u) << "bodies for GET and GET, none for HEAD";
}

TEST_F(Batch, AFullBatchOfTheLargestResponsesFits) {
    pb::Reply reply = pb::reject(Status::header_fields_too_large);
    reply.keep_alive = true; // the longest status line and body, kept open
    for (std::size_t i = 0; i < ReplyBatch::max_replies; ++i) batch.replies[batch.count++] = reply;
    std::vector<char> out(ReplyBatch::output_size);
    EXPECT_LE(pb::format_batch(batch, date, out), ReplyBatch::output_size);
}

TEST_F(Batch, CountsEachResponseOnlyWhenTold) {
    receive(repeat(get, 4));
    pb::collect_replies(session, config, counters, batch);
    const auto before = counters.responses_2xx.get();
    pb::count_sent(batch, counters);
    EXPECT_EQ(counters.responses_2xx.get() - before, 4u);
}

TEST_F(Batch, DrainingClosesAfterTheLastResponse) {
    receive(repeat(get, 3));
    pb::collect_replies(session, config, counters, batch);
    pb::close_after(batch);
    EXPECT_TRUE(batch.closes());
    EXPECT_TRUE(batch.replies[0].keep_alive) << "only the last response says Connection: close";
}

} // namespace

namespace {

TEST(ReplyBatchOnly, ReplacesWhateverWasThereWithOneReply) {
    pb::ReplyBatch batch;
    batch.count = 5;
    batch.only(pb::reject(pb::Status::request_timeout));
    EXPECT_EQ(batch.count, 1u);
    EXPECT_EQ(batch.replies[0].status, pb::Status::request_timeout);
    EXPECT_TRUE(batch.closes());
}

} // namespace
