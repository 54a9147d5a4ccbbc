#pragma once
// A minimal HTTP/1.1 keep-alive server on 127.0.0.1:0 for the load
// generator's tests: it answers every request "200 ok" at once and counts the
// requests of each connection it accepted, which prefork-load's own report
// cannot show (how its requests were spread over its connections).
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/fd.hpp"
#include "common/socket.hpp"
#include "common/system_error.hpp"

namespace pb::load::test {

class CountingServer {
public:
    CountingServer() : listener_(open_listener(Endpoint{"127.0.0.1", 0}, ListenerOptions{})) {
        wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!wake_) throw_system_error("eventfd", "counting server");
        port_ = local_port(listener_.get());
        thread_ = std::thread([this] { serve(); });
    }
    ~CountingServer() { stop(); }
    CountingServer(const CountingServer&) = delete;
    CountingServer& operator=(const CountingServer&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

    // Stops serving; the requests of each accepted connection, in accept
    // order, and what went wrong in the server (empty: nothing).
    struct Counts {
        std::vector<int> per_connection;
        std::string error;
    };
    Counts stop() {
        if (thread_.joinable()) {
            const std::uint64_t one = 1;
            if (::write(wake_.get(), &one, sizeof one) != sizeof one) throw_system_error("write", "eventfd");
            thread_.join();
        }
        return {counts_, error_};
    }

private:
    struct Client {
        Fd fd;
        std::size_t index;  // into counts_
        std::string tail;   // the last bytes read, for a "\r\n\r\n" split across reads
    };

    void serve() {
        std::vector<Client> clients;
        std::vector<pollfd> polled;
        for (;;) {
            polled.assign({{wake_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}});
            for (const Client& client : clients) polled.push_back({client.fd.get(), POLLIN, 0});
            if (::poll(polled.data(), polled.size(), -1) < 0) {
                if (errno == EINTR) continue;
                return fail("poll");
            }
            if (polled[0].revents != 0) return;
            // Only the clients polled: those accepted below come after them.
            const std::size_t polled_clients = clients.size();
            if (polled[1].revents != 0 && !accept_all(clients)) return;
            for (std::size_t i = polled_clients; i-- > 0;)
                if (polled[i + 2].revents != 0 && !answer(clients[i]))
                    clients.erase(clients.begin() + static_cast<std::ptrdiff_t>(i));
        }
    }

    bool accept_all(std::vector<Client>& clients) {
        for (;;) {
            Fd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC)); // blocking: poll says when to read
            if (!fd) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
                fail("accept4");
                return false;
            }
            clients.push_back({std::move(fd), counts_.size(), {}});
            counts_.push_back(0);
        }
    }

    // False when the connection is done (closed by the client, or broken).
    bool answer(Client& client) {
        char buffer[4096];
        const ssize_t n = ::read(client.fd.get(), buffer, sizeof buffer);
        if (n <= 0) return false;
        std::string text = client.tail + std::string(buffer, static_cast<std::size_t>(n));
        constexpr std::string_view end = "\r\n\r\n", response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        std::size_t at = 0, found = 0;
        for (std::size_t hit; (hit = text.find(end, at)) != std::string::npos; at = hit + end.size()) ++found;
        client.tail = text.substr(std::max(at, text.size() >= 3 ? text.size() - 3 : 0));
        counts_[client.index] += static_cast<int>(found);
        for (std::size_t i = 0; i < found; ++i)
            if (::send(client.fd.get(), response.data(), response.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(response.size()))
                return false;
        return true;
    }

    void fail(const char* call) { error_ = std::string(call) + ": " + std::strerror(errno); }

    Fd listener_, wake_;
    int port_ = 0;
    std::thread thread_;
    std::vector<int> counts_;  // the server thread's until stop() joins it
    std::string error_;
};

} // namespace pb::load::test
