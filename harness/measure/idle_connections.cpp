#include "measure/idle_connections.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

#include "common/numbers.hpp"
#include "common/socket.hpp"
#include "common/system_error.hpp"

namespace pb::harness {
namespace {

using Clock = std::chrono::steady_clock;

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

ResponseFrame malformed(std::string problem) {
    ResponseFrame frame;
    frame.state = ResponseFrame::State::malformed;
    frame.problem = std::move(problem);
    return frame;
}

// One connection of a batch, from connect() to its whole response.
struct Exchange {
    pb::Fd fd;
    bool connected = false;
    std::size_t sent = 0;
    std::string received;
    bool done = false;
};

std::string address(std::uint16_t port) { return fmt::format("127.0.0.1:{}", port); }

Exchange start_exchange(std::uint16_t port) {
    Exchange exchange;
    exchange.fd = pb::Fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!exchange.fd) throw_system_error("socket", "an idle connection");
    const sockaddr_in to = loopback_address(port);
    if (::connect(exchange.fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0)
        exchange.connected = true;
    else if (errno != EINPROGRESS)
        throw_system_error("connect", address(port));
    return exchange;
}

// Moves one connection on as far as it can go without waiting.
void advance(Exchange& exchange, const std::string& request, std::uint16_t port) {
    const int fd = exchange.fd.get();
    if (!exchange.connected) {
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) throw_system_error("getsockopt", "SO_ERROR");
        if (error == EINPROGRESS || error == EALREADY) return;
        if (error != 0) throw_system_error("connect", address(port), error);
        exchange.connected = true;
    }
    while (exchange.sent < request.size()) {
        const ssize_t n = ::send(fd, request.data() + exchange.sent, request.size() - exchange.sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0) throw_system_error("send", address(port));
        exchange.sent += static_cast<std::size_t>(n);
    }
    char buffer[4096];
    bool ended = false;
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0) throw_system_error("recv", address(port));
        if (n == 0) {
            ended = true;
            break;
        }
        exchange.received.append(buffer, static_cast<std::size_t>(n));
    }
    const ResponseFrame frame = frame_response(exchange.received);
    if (frame.state == ResponseFrame::State::malformed)
        throw std::runtime_error(fmt::format("{} sent a malformed response: {}", address(port), frame.problem));
    if (frame.state == ResponseFrame::State::complete && frame.status != 200)
        throw std::runtime_error(fmt::format("{} answered {} instead of 200", address(port), frame.status));
    if (ended)
        throw std::runtime_error(fmt::format("{} closed the connection {} ({} bytes read)", address(port),
                                             frame.state == ResponseFrame::State::complete
                                                 ? "after its response: it was not kept alive"
                                                 : "before a whole response",
                                             exchange.received.size()));
    if (frame.state == ResponseFrame::State::incomplete) return;
    if (exchange.received.size() != frame.size)
        throw std::runtime_error(fmt::format("{} sent {} bytes after the response", address(port),
                                             exchange.received.size() - frame.size));
    exchange.done = true;
    exchange.received = std::string(); // held connections keep no buffer
}

// Runs every exchange to its whole response, or throws.
void run_exchanges(std::vector<Exchange>& exchanges, const std::string& request, std::uint16_t port,
                   std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::vector<pollfd> waiting;
    std::vector<Exchange*> owners;
    for (;;) {
        waiting.clear();
        owners.clear();
        for (Exchange& exchange : exchanges) {
            if (exchange.done) continue;
            const bool writing = !exchange.connected || exchange.sent < request.size();
            waiting.push_back({exchange.fd.get(), static_cast<short>(writing ? POLLOUT : POLLIN), 0});
            owners.push_back(&exchange);
        }
        if (waiting.empty()) return;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left <= std::chrono::milliseconds::zero())
            throw std::runtime_error(fmt::format("{} of {} connections to {} not answered within {} ms",
                                                 waiting.size(), exchanges.size(), address(port), timeout.count()));
        const int ready = ::poll(waiting.data(), waiting.size(), static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) throw_system_error("poll", "idle connections");
        for (std::size_t i = 0; i < waiting.size(); ++i)
            if (waiting[i].revents != 0) advance(*owners[i], request, port);
    }
}

} // namespace

ResponseFrame frame_response(std::string_view data) {
    const std::size_t head_end = data.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return {};
    const std::string_view head = data.substr(0, head_end);
    const std::size_t line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    if (status_line.substr(0, 9) != "HTTP/1.1 " || status_line.size() < 12)
        return malformed(fmt::format("status line \"{}\"", status_line));
    const auto status = parse_number<int>(status_line.substr(9, 3));
    if (!status || (status_line.size() > 12 && status_line[12] != ' '))
        return malformed(fmt::format("status line \"{}\"", status_line));
    std::optional<std::size_t> length;
    for (std::size_t at = line_end; at != std::string_view::npos && at < head.size();) {
        const std::size_t start = at + 2;
        const std::size_t end = head.find("\r\n", start);
        const std::string_view line = head.substr(start, end == std::string_view::npos ? head.npos : end - start);
        at = end;
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || !equal_ignoring_case(line.substr(0, colon), "Content-Length")) continue;
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        length = parse_number<std::size_t>(value);
        if (!length) return malformed(fmt::format("Content-Length \"{}\"", value));
    }
    // A keep-alive response must say where it ends; a chunked one is not
    // what the handler sends.
    if (!length) return malformed("no Content-Length");
    ResponseFrame frame;
    frame.status = *status;
    const std::size_t size = head_end + 4 + *length;
    if (data.size() < size) return frame;
    frame.state = ResponseFrame::State::complete;
    frame.size = size;
    return frame;
}

std::string http_request(const std::vector<std::string>& headers, std::string_view path) {
    std::string request = fmt::format("GET {} HTTP/1.1\r\n", path);
    for (const std::string& header : headers) request += header + "\r\n";
    return request + "\r\n";
}

HeldConnections::HeldConnections(std::uint16_t port, std::string request) : port_(port), request_(std::move(request)) {}

void HeldConnections::open_batch(int count, std::chrono::milliseconds timeout) {
    std::vector<Exchange> batch;
    batch.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) batch.push_back(start_exchange(port_));
    run_exchanges(batch, request_, port_, timeout);
    for (Exchange& exchange : batch) held_.push_back(std::move(exchange.fd));
}

std::chrono::nanoseconds HeldConnections::probe(std::chrono::milliseconds timeout) {
    const auto start = Clock::now();
    std::vector<Exchange> one;
    one.push_back(start_exchange(port_));
    run_exchanges(one, request_, port_, timeout);
    const auto elapsed = Clock::now() - start;
    return elapsed;
}

int HeldConnections::reap_dropped() {
    std::vector<pollfd> all;
    all.reserve(held_.size());
    for (const pb::Fd& fd : held_) all.push_back({fd.get(), POLLIN | POLLRDHUP, 0});
    int ready;
    do ready = ::poll(all.data(), all.size(), 0);
    while (ready < 0 && errno == EINTR);
    if (ready < 0) throw_system_error("poll", "held connections");
    if (ready == 0) return 0;
    int found = 0;
    std::vector<pb::Fd> kept;
    kept.reserve(held_.size());
    for (std::size_t i = 0; i < held_.size(); ++i) {
        bool gone = false;
        if (all[i].revents != 0) {
            char byte;
            const ssize_t n = ::recv(held_[i].get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
            // 0: EOF; > 0: bytes nobody asked for; < 0 other than "nothing
            // yet": reset or another error. Each ends the connection.
            gone = n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || (all[i].revents & (POLLHUP | POLLRDHUP));
        }
        if (gone)
            ++found;
        else
            kept.push_back(std::move(held_[i]));
    }
    held_ = std::move(kept);
    dropped_ += found;
    return found;
}

} // namespace pb::harness
