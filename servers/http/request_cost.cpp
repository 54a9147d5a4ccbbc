#include "http/request_cost.hpp"

#include <cstdint>

namespace pb {
namespace {

// Digits only, at most `max_us`. The check comes with every digit, so that
// no count of digits can overflow: max_us is below 2^63 / 1000.
bool parse_microseconds(std::string_view text, std::uint64_t max_us, std::uint64_t& value) {
    if (text.empty()) return false;
    std::uint64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
        if (n > max_us) return false;
    }
    value = n;
    return true;
}

} // namespace

bool parse_request_cost(std::string_view target, std::chrono::nanoseconds max_cost, RequestCost& cost) {
    const std::size_t question = target.find('?');
    if (question == std::string_view::npos) return true;
    std::string_view query = target.substr(question + 1);
    const std::uint64_t max_us =
        max_cost.count() > 0 ? static_cast<std::uint64_t>(max_cost.count()) / 1000 : std::uint64_t{0};
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view parameter = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);

        const std::size_t equals = parameter.find('=');
        const std::string_view name = parameter.substr(0, equals);
        std::chrono::nanoseconds* part = name == "work" ? &cost.work : name == "delay" ? &cost.delay : nullptr;
        if (part == nullptr) continue;
        // "work" without '=' is a cost without a value: malformed like "work=".
        const std::string_view value = equals == std::string_view::npos ? std::string_view() : parameter.substr(equals + 1);
        std::uint64_t us = 0;
        if (!parse_microseconds(value, max_us, us)) return false;
        *part = std::chrono::microseconds(static_cast<std::int64_t>(us));
    }
    return true;
}

} // namespace pb
