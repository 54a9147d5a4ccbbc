#include "measure/listen_queue.hpp"

#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/socket.hpp"
#include "common/system_error.hpp"

namespace pb::harness {

namespace {

// ---- sock_diag netlink ----

const char* family_name(int family) { return family == AF_INET ? "AF_INET" : "AF_INET6"; }

void send_listen_dump_request(int fd, std::uint8_t family) {
    struct {
        nlmsghdr header;
        inet_diag_req_v2 body;
    } request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.body.sdiag_family = family;
    request.body.sdiag_protocol = IPPROTO_TCP;
    request.body.idiag_states = 1u << TCP_LISTEN;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    while (::sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
        if (errno != EINTR) throw_system_error("sendto", std::string("sock_diag TCP LISTEN dump, ") + family_name(family));
    }
}

// Reads one dump to its end, adding the queues of the sockets on `port`.
void add_listen_dump(int fd, std::uint8_t family, std::uint16_t port, std::optional<int>& total) {
    const std::string what = std::string("sock_diag TCP LISTEN dump, ") + family_name(family);
    alignas(nlmsghdr) char buffer[32768];
    for (;;) {
        const ssize_t received = ::recv(fd, buffer, sizeof buffer, 0);
        if (received < 0) {
            if (errno == EINTR) continue;
            throw_system_error("recv", what);
        }
        if (received == 0) throw_system_error("recv", what + ": closed before the end", EPROTO);
        int left = static_cast<int>(received);
        for (auto* message = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(message, left);
             message = NLMSG_NEXT(message, left)) {
            if (message->nlmsg_type == NLMSG_DONE) return;
            if (message->nlmsg_type == NLMSG_ERROR) {
                const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(message));
                throw_system_error("recv", what, -error->error);
            }
            if (message->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) continue;
            const auto* socket = static_cast<const inet_diag_msg*>(NLMSG_DATA(message));
            if (ntohs(socket->id.idiag_sport) != port) continue;
            // For a listener the kernel reports the accept queue as rqueue.
            total = total.value_or(0) + static_cast<int>(socket->idiag_rqueue);
        }
    }
}

// ---- /proc/net/tcp ----

constexpr std::string_view listen_state = "0A"; // TCP_LISTEN in hex

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    for (std::size_t at = 0; at < line.size();) {
        const std::size_t start = line.find_first_not_of(' ', at);
        if (start == std::string_view::npos) break;
        const std::size_t end = std::min(line.find(' ', start), line.size());
        fields.push_back(line.substr(start, end - start));
        at = end;
    }
    return fields;
}

std::optional<unsigned long> parse_hex(std::string_view text) {
    unsigned long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// The hex number after the last ':' of "0100007F:1F90" or "00000000:00000003".
std::optional<unsigned long> after_colon(std::string_view field) {
    const std::size_t colon = field.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    return parse_hex(field.substr(colon + 1));
}

enum class Line { listener, other, not_listen };

// One line of /proc/net/tcp: "sl local rem st tx_queue:rx_queue ...".
Line add_line(std::string_view line, std::uint16_t port, std::optional<int>& total) {
    const auto fields = split_fields(line);
    if (fields.size() < 5 || fields[0] == "sl") return Line::other; // the header
    if (fields[3] != listen_state) return Line::not_listen;
    const auto local_port = after_colon(fields[1]);
    const auto queued = after_colon(fields[4]);
    if (!local_port || *local_port != port || !queued) return Line::other;
    total = total.value_or(0) + static_cast<int>(*queued);
    return Line::listener;
}

// Adds the listeners of one table. The kernel lists every listening socket
// before any other, so reading stops at the first socket in another state
// rather than have the kernel format every open connection.
void add_table(const char* path, bool may_be_missing, std::uint16_t port, std::optional<int>& total) {
    Fd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT && may_be_missing) return;
        throw_system_error("open", path);
    }
    std::string pending;
    char buffer[16384];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_system_error("read", path);
        }
        if (n == 0) break;
        pending.append(buffer, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1)
            if (add_line(std::string_view(pending).substr(start, end - start), port, total) == Line::not_listen)
                return;
        pending.erase(0, start);
    }
    if (!pending.empty()) add_line(pending, port, total);
}

} // namespace

std::optional<int> listen_queue_length_sock_diag(std::uint16_t port) {
    Fd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (!fd) throw_system_error("socket", "AF_NETLINK NETLINK_SOCK_DIAG");
    std::optional<int> total;
    for (std::uint8_t family : {std::uint8_t{AF_INET}, std::uint8_t{AF_INET6}}) {
        send_listen_dump_request(fd.get(), family);
        add_listen_dump(fd.get(), family, port, total);
    }
    return total;
}

std::optional<int> listen_queue_length_proc(std::uint16_t port) {
    std::optional<int> total;
    add_table("/proc/net/tcp", false, port, total);
    add_table("/proc/net/tcp6", true, port, total); // absent in a kernel without IPv6
    return total;
}

std::optional<int> listen_queue_length(std::uint16_t port) {
    // Some sandboxes and kernels without inet_diag refuse sock_diag; after
    // the first refusal, /proc it is.
    static std::atomic<bool> sock_diag_works{true};
    if (sock_diag_works.load(std::memory_order_relaxed)) {
        try {
            return listen_queue_length_sock_diag(port);
        } catch (const std::system_error&) {
            sock_diag_works.store(false, std::memory_order_relaxed);
        }
    }
    return listen_queue_length_proc(port);
}

void ListenQueueSampler::sample() {
    const std::optional<int> length = listen_queue_length(port_);
    if (!length) throw std::runtime_error("the listen queue: nothing listened on port " + std::to_string(port_));
    lengths_.push_back(*length);
}

ListenQueue ListenQueueSampler::queue() const {
    ListenQueue queue;
    if (lengths_.empty()) return queue;
    queue.sampled = true;
    queue.max = *std::max_element(lengths_.begin(), lengths_.end());
    queue.at_end = lengths_.back();
    std::vector<int> sorted = lengths_;
    const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
    std::nth_element(sorted.begin(), middle, sorted.end());
    queue.median = *middle;
    return queue;
}

} // namespace pb::harness
