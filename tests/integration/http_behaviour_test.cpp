// What every server answers to well-formed requests: the response itself,
// keep-alive and close rules, pipelining, partial and body-carrying requests.
#include <chrono>
#include <ctime>
#include <regex>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_test.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

class HttpBehaviour : public ServerTest {};

void expect_hello(const ReadResult& result, const std::string& context) {
    ASSERT_TRUE(result.ok()) << context << ": " << result;
    EXPECT_EQ(result.response.status, 200) << context;
    EXPECT_EQ(result.response.body, "Hello, World!") << context;
}

TEST_P(HttpBehaviour, ReadyLineReportsRealPortPidAndWorkers) {
    ASSERT_NO_FATAL_FAILURE(start());
    const ReadyLine& ready = server().ready();
    EXPECT_FALSE(ready.model.empty());
    EXPECT_EQ(ready.host, "127.0.0.1");
    EXPECT_NE(ready.port, 0) << "the ready line must report the port the kernel picked, not 0";
    EXPECT_EQ(ready.pid, server().pid()) << "pid= must be the master (the process the test started)";
    EXPECT_EQ(ready.workers, workers());
    expect_serves(ready.port, "request to the announced port");
}

TEST_P(HttpBehaviour, GetReturnsHelloWorldWithHeaders) {
    ASSERT_NO_FATAL_FAILURE(start());
    ReadResult result = fetch(port());
    ASSERT_NO_FATAL_FAILURE(expect_hello(result, "GET /"));
    const HttpResponse& response = result.response;
    EXPECT_EQ(response.version, "HTTP/1.1");
    EXPECT_EQ(response.reason, "OK");
    for (const char* name : {"Server", "Date", "Content-Type", "Content-Length"}) {
        EXPECT_EQ(response.header_count(name), 1u) << "header " << name;
    }
    EXPECT_EQ(response.header("Server").value_or(""), "prefork-bench");
    EXPECT_EQ(response.header("Content-Type").value_or(""), "text/plain");
    EXPECT_EQ(response.header("Content-Length").value_or(""), "13");

    // IMF-fixdate (RFC 7231 7.1.1.1), and the current time.
    std::string date = response.header("Date").value_or("");
    static const std::regex imf_fixdate(
        "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
        "[0-9]{2}:[0-9]{2}:[0-9]{2} GMT");
    ASSERT_TRUE(std::regex_match(date, imf_fixdate)) << "Date: '" << date << "'";
    std::tm parts{};
    ASSERT_NE(strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts), nullptr) << date;
    std::time_t when = timegm(&parts);
    std::time_t now = std::time(nullptr);
    EXPECT_LE(std::abs(static_cast<long>(now - when)), 5) << "Date '" << date << "' is not the current time";
    // The weekday must agree with the date.
    std::tm check{};
    gmtime_r(&when, &check);
    char weekday[8];
    std::strftime(weekday, sizeof weekday, "%a", &check);
    EXPECT_EQ(date.substr(0, 3), weekday) << date;
}

TEST_P(HttpBehaviour, HeadReturnsHeadersWithoutBody) {
    ASSERT_NO_FATAL_FAILURE(start());
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n")) << client.error();
    ReadResult head = client.read_response(/*head_request=*/true);
    ASSERT_TRUE(head.ok()) << head;
    EXPECT_EQ(head.response.status, 200);
    EXPECT_EQ(head.response.header("Content-Length").value_or(""), "13");
    EXPECT_EQ(head.response.header("Content-Type").value_or(""), "text/plain");
    EXPECT_EQ(client.unread_bytes(200ms), 0u) << "bytes after the HEAD response: a body was sent";
    // The connection stays usable: the next response starts where it should.
    ASSERT_TRUE(client.send(simple_get)) << client.error();
    ASSERT_NO_FATAL_FAILURE(expect_hello(client.read_response(), "GET after HEAD"));
}

TEST_P(HttpBehaviour, KeepAliveServesSeveralRequestsOnOneConnection) {
    ASSERT_NO_FATAL_FAILURE(start());
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    // Different requests (a HEAD between two GETs), so that answering an
    // earlier request again cannot pass for answering the next one.
    struct Step {
        std::string request;
        bool head;
    };
    const Step steps[] = {
        {"GET /first HTTP/1.1\r\nHost: localhost\r\n\r\n", false},
        {"HEAD /second/request HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n", true},
        {"GET /3 HTTP/1.1\r\nHost: localhost\r\n\r\n", false},
    };
    int number = 0;
    for (const Step& step : steps) {
        ++number;
        ASSERT_TRUE(client.send(step.request)) << "request " << number << ": " << client.error();
        ReadResult result = client.read_response(step.head);
        ASSERT_TRUE(result.ok()) << "request " << number << ": " << result;
        EXPECT_EQ(result.response.status, 200) << "request " << number;
        EXPECT_EQ(result.response.body, step.head ? "" : "Hello, World!") << "request " << number;
        EXPECT_NE(result.response.header("Connection").value_or(""), "close") << "request " << number;
        EXPECT_EQ(client.unread_bytes(50ms), 0u) << "unexpected bytes after response " << number;
    }
    EXPECT_EQ(client.wait_closed(300ms), CloseOutcome::timeout) << "an HTTP/1.1 connection must stay open";
}

// The two requests after whose response the server closes: one that asks
// for it, and an HTTP/1.0 one that does not ask to keep the connection.
TEST_P(HttpBehaviour, ConnectionCloseAndHttp10CloseAfterTheResponse) {
    ASSERT_NO_FATAL_FAILURE(start());
    for (const std::string_view request :
         {"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "GET / HTTP/1.0\r\n\r\n"}) {
        SCOPED_TRACE(request);
        HttpClient client(port());
        ASSERT_TRUE(client.connected()) << client.error();
        ASSERT_TRUE(client.send(request)) << client.error();
        ASSERT_NO_FATAL_FAILURE(expect_hello(client.read_response(), "request that closes"));
        EXPECT_EQ(client.wait_closed(2000ms), CloseOutcome::closed);
    }
}

TEST_P(HttpBehaviour, Http10KeepAliveIsHonoured) {
    ASSERT_NO_FATAL_FAILURE(start());
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    const std::string request = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    for (int i = 1; i <= 2; ++i) {
        ASSERT_TRUE(client.send(request)) << "request " << i << ": " << client.error();
        ReadResult result = client.read_response();
        ASSERT_NO_FATAL_FAILURE(expect_hello(result, "HTTP/1.0 keep-alive request " + std::to_string(i)));
        // An HTTP/1.0 client only keeps the connection if it is told so.
        std::string connection = result.response.header("Connection").value_or("");
        EXPECT_TRUE(connection == "keep-alive" || connection == "Keep-Alive")
            << "request " << i << ": Connection: '" << connection << "'";
    }
}

TEST_P(HttpBehaviour, PipelinedRequestsAreAnsweredInOrder) {
    ASSERT_NO_FATAL_FAILURE(start());
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    // Three requests in one write. The HEAD in the middle makes the order
    // visible: a body in second place would corrupt the third response, and
    // the close on the last must come after all three.
    ASSERT_TRUE(client.send("GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                            "HEAD /2 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                            "GET /3 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
        << client.error();
    ASSERT_NO_FATAL_FAILURE(expect_hello(client.read_response(), "pipelined GET 1"));
    ReadResult head = client.read_response(/*head_request=*/true);
    ASSERT_TRUE(head.ok()) << "pipelined HEAD 2: " << head;
    EXPECT_EQ(head.response.status, 200);
    ReadResult third = client.read_response();
    ASSERT_NO_FATAL_FAILURE(expect_hello(third, "pipelined GET 3"));
    EXPECT_EQ(client.wait_closed(2000ms), CloseOutcome::closed) << "the third request asked to close";
}

TEST_P(HttpBehaviour, LongPipelineLargerThanAnyBufferIsAnsweredInFull) {
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "0"}));
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    constexpr int count = 1000; // ~36 KiB of requests, ~150 KiB of responses
    std::string requests;
    for (int i = 0; i < count; ++i) requests += simple_get;
    // Written from another thread: the server may answer before it has read
    // everything, and nobody reading the answers would deadlock both sides.
    bool sent = false;
    std::thread writer([&] {
        std::string_view rest = requests;
        while (!rest.empty()) {
            ssize_t n = ::send(client.native_handle(), rest.data(), rest.size(), MSG_NOSIGNAL);
            if (n <= 0) return;
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        sent = true;
    });
    int answered = 0;
    for (; answered < count; ++answered) {
        ReadResult result = client.read_response(false, 10'000ms);
        if (!result.ok() || result.response.status != 200 || result.response.body != "Hello, World!") {
            ADD_FAILURE() << "response " << answered + 1 << " of " << count << ": " << result;
            break;
        }
    }
    writer.join();
    EXPECT_TRUE(sent) << "the server stopped reading the pipeline";
    EXPECT_EQ(answered, count);
}

TEST_P(HttpBehaviour, RequestSentByteByByteIsAnswered) {
    ASSERT_NO_FATAL_FAILURE(start());
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send_byte_by_byte("GET /slow HTTP/1.1\r\nHost: localhost\r\nX-A: b\r\n\r\n", 2ms))
        << client.error();
    ASSERT_NO_FATAL_FAILURE(expect_hello(client.read_response(), "byte-by-byte request"));
}

// A body larger than the server's buffer, all sent at once, after which the
// client only waits: the server must read the rest by itself (no further
// readiness event will come) and answer both requests promptly.
TEST_P(HttpBehaviour, BodyLargerThanTheBufferIsSkippedWithoutStalling) {
    ASSERT_NO_FATAL_FAILURE(start());
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    const std::string body(40'000, 'x');
    ASSERT_TRUE(client.send("GET /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 40000\r\n\r\n" + body +
                            "GET /b HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        << client.error();
    ASSERT_NO_FATAL_FAILURE(expect_hello(client.read_response(false, 3000ms), "request with a 40 kB body"));
    ASSERT_NO_FATAL_FAILURE(expect_hello(client.read_response(false, 3000ms), "request after the body"));
}

TEST_P(HttpBehaviour, RequestBodyIsSkippedAndNextRequestServed) {
    TempPath stats("itest-stats");
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "10ms", "--stats", stats.str()}));
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    // The body arrives in two pieces, the second together with the next
    // request: the server has read the first before the second is sent.
    const std::string_view first_piece = "GET /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhel";
    ASSERT_TRUE(client.send(first_piece)) << client.error();
    ASSERT_TRUE(wait_for_bytes_in(stats, first_piece.size()))
        << "the server never read the first piece";
    ASSERT_TRUE(client.send("loGET /b HTTP/1.1\r\nHost: localhost\r\n\r\n")) << client.error();
    ASSERT_NO_FATAL_FAILURE(expect_hello(client.read_response(), "request with a body"));
    ASSERT_NO_FATAL_FAILURE(expect_hello(client.read_response(), "request after the body"));
}

TEST_P(HttpBehaviour, RequestBodyAndNextRequestInOneWrite) {
    ASSERT_NO_FATAL_FAILURE(start());
    HttpClient client(port());
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send("GET /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"
                            "GET /b HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        << client.error();
    ASSERT_NO_FATAL_FAILURE(expect_hello(client.read_response(), "request with a body"));
    ASSERT_NO_FATAL_FAILURE(expect_hello(client.read_response(), "request after the body"));
}

// One GET on a new connection answered no sooner than `at_least` (what the
// option costs a request) and sooner than `below` (only a stuck server is
// slower; no speed is asserted).
void expect_answer_takes(int port, milliseconds at_least, milliseconds below, const std::string& what) {
    auto begin = Clock::now();
    ReadResult result = fetch(port);
    auto elapsed = Clock::now() - begin;
    ASSERT_NO_FATAL_FAILURE(expect_hello(result, what));
    EXPECT_GE(elapsed, at_least) << what << ": the response came before it was due";
    EXPECT_LT(elapsed, below) << what;
}

TEST_P(HttpBehaviour, DelayIsApplied) {
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "250ms"}));
    expect_answer_takes(port(), 240ms, 2000ms, "request with --delay 250ms");
}

TEST_P(HttpBehaviour, WorkIsApplied) {
    ASSERT_NO_FATAL_FAILURE(start({"--delay", "0", "--work", "100ms"}));
    expect_answer_takes(port(), 95ms, 3000ms, "request with --work 100ms (CPU time)");
}

INSTANTIATE_TEST_SUITE_P(Servers, HttpBehaviour, testing::ValuesIn(all_configs()), config_name);

} // namespace
} // namespace itest
