// Framing HTTP/1.1 responses as they arrive, in pieces of any size.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <string_view>

#include "load/response_reader.hpp"

namespace pb::load {
namespace {

using State = ResponseReader::State;

constexpr std::string_view hello = "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 13\r\n"
                                   "Content-Type: text/plain\r\n\r\nHello, World!";

// Feeds `text` in pieces of `step` bytes (as much as fits, as recv would);
// the state after the last.
State feed(ResponseReader& reader, std::string_view text, std::size_t step) {
    State state = reader.state();
    for (std::size_t at = 0, size = 0; at < text.size() && reader.free_size() > 0; at += size) {
        size = std::min({step, text.size() - at, reader.free_size()});
        std::memcpy(reader.free_begin(), text.data() + at, size);
        state = reader.received(size);
    }
    return state;
}

TEST(ResponseReader, AWholeResponseInOneRead) {
    std::array<char, 1024> buffer{};
    ResponseReader reader(buffer);
    EXPECT_EQ(feed(reader, hello, hello.size()), State::complete);
    EXPECT_EQ(reader.status(), 200);
    EXPECT_FALSE(reader.closes());
    EXPECT_EQ(reader.excess(), 0u);
}

TEST(ResponseReader, AResponseAByteAtATimeCompletesAtItsLastByte) {
    std::array<char, 1024> buffer{};
    ResponseReader reader(buffer);
    EXPECT_EQ(feed(reader, hello.substr(0, hello.size() - 1), 1), State::body);
    EXPECT_EQ(feed(reader, hello.substr(hello.size() - 1), 1), State::complete);
}

TEST(ResponseReader, ResetReadsTheNextResponse) {
    std::array<char, 1024> buffer{};
    ResponseReader reader(buffer);
    ASSERT_EQ(feed(reader, hello, 7), State::complete);
    reader.reset();
    EXPECT_EQ(feed(reader, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 5), State::complete);
    EXPECT_EQ(reader.status(), 400);
    EXPECT_TRUE(reader.closes());
}

TEST(ResponseReader, HeaderNamesAnyCaseAndHttp10Closes) {
    std::array<char, 1024> buffer{};
    ResponseReader reader(buffer);
    EXPECT_EQ(feed(reader, "HTTP/1.0 200 OK\r\ncontent-LENGTH:  2 \r\n\r\nok", 3), State::complete);
    EXPECT_TRUE(reader.closes());
    reader.reset();
    EXPECT_EQ(feed(reader, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 64), State::complete);
    EXPECT_FALSE(reader.closes());
}

TEST(ResponseReader, WithoutContentLengthTheBodyEndsWithTheConnection) {
    std::array<char, 1024> buffer{};
    ResponseReader reader(buffer);
    EXPECT_EQ(feed(reader, "HTTP/1.1 200 OK\r\n\r\nsome body", 4), State::body);
    EXPECT_EQ(reader.peer_closed(), State::complete);
}

TEST(ResponseReader, ACloseBeforeTheEndIsMalformed) {
    std::array<char, 1024> buffer{};
    ResponseReader reader(buffer);
    feed(reader, hello.substr(0, 20), 20);
    EXPECT_EQ(reader.peer_closed(), State::malformed);
}

TEST(ResponseReader, BytesBeyondTheResponseAreExcess) {
    std::array<char, 1024> buffer{};
    ResponseReader reader(buffer);
    EXPECT_EQ(feed(reader, std::string(hello) + "HTTP/1.1", 1024), State::complete);
    EXPECT_EQ(reader.excess(), 8u);
}

TEST(ResponseReader, ABodyLargerThanTheBufferIsCountedNotKept) {
    std::array<char, 64> buffer{};
    ResponseReader reader(buffer);
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'x');
    EXPECT_EQ(feed(reader, response, 16), State::complete);
    EXPECT_EQ(reader.excess(), 0u);
}

TEST(ResponseReader, NotHttpOrAHeadLargerThanTheBufferIsMalformed) {
    std::array<char, 64> buffer{};
    ResponseReader reader(buffer);
    EXPECT_EQ(feed(reader, "SSH-2.0-OpenSSH\r\n\r\n", 64), State::malformed);
    ResponseReader big(buffer);
    EXPECT_EQ(feed(big, "HTTP/1.1 200 OK\r\nX: " + std::string(100, 'y'), 8), State::malformed);
    ResponseReader bad_length(buffer);
    EXPECT_EQ(feed(bad_length, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 64), State::malformed);
}

} // namespace
} // namespace pb::load
