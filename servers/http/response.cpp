#include "http/response.hpp"

#include <cassert>
#include <cstring>

namespace pb {
namespace {

// Appends fixed pieces; the caller guarantees room (max_response_size).
struct Writer {
    char* out;
    std::size_t size = 0;
    void put(std::string_view piece) {
        std::memcpy(out + size, piece.data(), piece.size());
        size += piece.size();
    }
};

std::string_view status_line(Status status) {
    switch (status) {
    case Status::ok: return "HTTP/1.1 200 OK\r\n";
    case Status::bad_request: return "HTTP/1.1 400 Bad Request\r\n";
    case Status::method_not_allowed: return "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n";
    case Status::request_timeout: return "HTTP/1.1 408 Request Timeout\r\n";
    case Status::header_fields_too_large: return "HTTP/1.1 431 Request Header Fields Too Large\r\n";
    case Status::not_implemented: return "HTTP/1.1 501 Not Implemented\r\n";
    case Status::version_not_supported: return "HTTP/1.1 505 HTTP Version Not Supported\r\n";
    }
    return "HTTP/1.1 500 Internal Server Error\r\n";
}

// Error bodies are the reason phrase and a newline; Content-Length is fixed text.
struct ErrorBody {
    std::string_view content_length;
    std::string_view body;
};

ErrorBody error_body(Status status) {
    switch (status) {
    case Status::bad_request: return {"Content-Length: 12\r\n", "Bad Request\n"};
    case Status::method_not_allowed: return {"Content-Length: 19\r\n", "Method Not Allowed\n"};
    case Status::request_timeout: return {"Content-Length: 16\r\n", "Request Timeout\n"};
    case Status::header_fields_too_large: return {"Content-Length: 32\r\n", "Request Header Fields Too Large\n"};
    case Status::not_implemented: return {"Content-Length: 16\r\n", "Not Implemented\n"};
    case Status::version_not_supported: return {"Content-Length: 27\r\n", "HTTP Version Not Supported\n"};
    case Status::ok: break;
    }
    return {"Content-Length: 22\r\n", "Internal Server Error\n"};
}

} // namespace

std::size_t format_response(const Reply& reply, std::string_view date, std::span<char> out) {
    assert(out.size() >= max_response_size);
    Writer w{out.data()};
    w.put(status_line(reply.status));
    w.put("Server: prefork-bench\r\nDate: ");
    w.put(date);
    w.put("\r\nContent-Type: text/plain\r\n");
    ErrorBody error{"Content-Length: 13\r\n", hello_body};
    if (reply.status != Status::ok) error = error_body(reply.status);
    w.put(error.content_length);
    if (!reply.keep_alive) w.put("Connection: close\r\n");
    else if (reply.http10) w.put("Connection: keep-alive\r\n");
    w.put("\r\n");
    if (reply.with_body) w.put(error.body);
    return w.size;
}

} // namespace pb
