#include "http/http_parser.hpp"

#include <array>
#include <cstring>

namespace pb {
namespace {

// RFC 9110 tchar: the characters allowed in a method and a header name.
constexpr std::array<bool, 256> make_token_table() {
    std::array<bool, 256> table{};
    for (int c = '0'; c <= '9'; ++c) table[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
    return table;
}
constexpr auto token_table = make_token_table();

bool is_token_char(char c) { return token_table[static_cast<unsigned char>(c)]; }

// No control characters but HTAB. Written without an early exit so that the
// compiler can vectorise it: header values are most of a request's bytes.
bool is_field_text(const char* begin, const char* end) {
    unsigned bad = 0;
    for (const char* p = begin; p < end; ++p) {
        auto c = static_cast<unsigned char>(*p);
        bad |= static_cast<unsigned>((c < 0x20 && c != '\t') || c == 0x7f);
    }
    return bad == 0;
}

bool equals_lowercase(std::string_view text, std::string_view lower) {
    if (text.size() != lower.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i)
        if ((text[i] | 0x20) != lower[i]) return false; // ASCII letters and '-' only
    return true;
}

std::string_view trim_whitespace(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// The next line without its CR LF (or bare LF); false when no line end has
// arrived yet.
bool next_line(const char*& cursor, const char* end, std::string_view& line) {
    const void* lf = std::memchr(cursor, '\n', static_cast<std::size_t>(end - cursor));
    if (lf == nullptr) return false;
    const char* line_end = static_cast<const char*>(lf);
    const char* content_end = (line_end > cursor && line_end[-1] == '\r') ? line_end - 1 : line_end;
    line = std::string_view(cursor, static_cast<std::size_t>(content_end - cursor));
    cursor = line_end + 1;
    return true;
}

Method method_kind(std::string_view method) {
    if (method == "GET") return Method::get;
    if (method == "HEAD") return Method::head;
    return Method::other;
}

ParseResult parse_request_line(std::string_view line, Request& request) {
    std::size_t method_end = line.find(' ');
    if (method_end == 0 || method_end == std::string_view::npos) return ParseResult::malformed;
    std::string_view method = line.substr(0, method_end);
    // Registered methods are upper case with '-' or '_' (M-SEARCH); anything
    // else is far more likely garbage than a method we should answer 405.
    for (char c : method)
        if ((c < 'A' || c > 'Z') && c != '-' && c != '_') return ParseResult::malformed;

    std::size_t target_end = line.find(' ', method_end + 1);
    if (target_end == std::string_view::npos || target_end == method_end + 1) return ParseResult::malformed;
    std::string_view target = line.substr(method_end + 1, target_end - method_end - 1);
    for (char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return ParseResult::malformed;

    std::string_view version = line.substr(target_end + 1);
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return ParseResult::malformed;
    if (version[5] != '1') return ParseResult::version_not_supported;

    request.method = method;
    request.target = target;
    request.method_kind = method_kind(method);
    request.version_minor = static_cast<std::uint8_t>(version[7] - '0');
    request.keep_alive = request.version_minor >= 1;
    return ParseResult::complete;
}

bool parse_content_length(std::string_view value, std::uint64_t& length) {
    if (value.empty() || value.size() > 18) return false;
    std::uint64_t n = 0;
    for (char c : value) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    length = n;
    return true;
}

// Connection is a comma-separated token list: "close" wins over "keep-alive".
void apply_connection(std::string_view value, Request& request, bool& saw_close) {
    while (!value.empty()) {
        std::size_t comma = value.find(',');
        std::string_view option = trim_whitespace(value.substr(0, comma));
        if (equals_lowercase(option, "close")) saw_close = true;
        else if (equals_lowercase(option, "keep-alive")) request.keep_alive = true;
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
}

} // namespace

ParseResult parse_request(std::string_view buffer, Request& request) {
    const bool too_long = buffer.size() > max_head_size;
    const char* cursor = buffer.data();
    // Never look past the limit: a head that has not ended by then is too large.
    const char* end = cursor + (too_long ? max_head_size : buffer.size());
    const ParseResult need_more = too_long ? ParseResult::head_too_large : ParseResult::incomplete;

    request = Request{};
    std::string_view line;
    if (!next_line(cursor, end, line)) return need_more;
    if (line.empty() && next_line(cursor, end, line) == false) return need_more; // one stray CRLF is allowed
    if (ParseResult r = parse_request_line(line, request); r != ParseResult::complete) return r;

    bool saw_close = false, saw_length = false;
    for (;;) {
        if (!next_line(cursor, end, line)) return need_more;
        if (line.empty()) break;
        std::size_t colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos) return ParseResult::malformed;
        std::string_view name = line.substr(0, colon);
        for (char c : name)
            if (!is_token_char(c)) return ParseResult::malformed; // also catches obs-fold and "Name :"
        std::string_view value = line.substr(colon + 1);
        if (!is_field_text(value.data(), value.data() + value.size())) return ParseResult::malformed;
        value = trim_whitespace(value);

        switch (name.size()) {
        case 10:
            if (equals_lowercase(name, "connection")) apply_connection(value, request, saw_close);
            break;
        case 14:
            if (equals_lowercase(name, "content-length")) {
                std::uint64_t length = 0;
                if (!parse_content_length(value, length)) return ParseResult::malformed;
                if (saw_length && length != request.content_length) return ParseResult::malformed;
                request.content_length = length;
                saw_length = true;
            }
            break;
        case 17:
            if (equals_lowercase(name, "transfer-encoding")) request.has_transfer_encoding = true;
            break;
        default:
            break;
        }
    }
    if (saw_close) request.keep_alive = false;
    request.head_size = static_cast<std::size_t>(cursor - buffer.data());
    return ParseResult::complete;
}

} // namespace pb
