#include "common/units.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace pb {
namespace {

struct Unit {
    std::string_view suffix;
    std::int64_t nanoseconds;
};

// Longest suffixes first so that "ms" is not read as "m" + junk.
constexpr std::array<Unit, 6> duration_units{{
    {"ns", 1},
    {"us", 1'000},
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

// Splits "1.5ms" into the number and its suffix; false if the number is not
// a plain non-negative decimal.
bool split_number(std::string_view text, double& number, std::string_view& suffix) {
    std::size_t end = 0;
    bool digits = false, dot = false;
    for (; end < text.size(); ++end) {
        char c = text[end];
        if (c >= '0' && c <= '9') digits = true;
        else if (c == '.' && !dot) dot = true;
        else break;
    }
    if (!digits) return false;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, number);
    if (ec != std::errc() || ptr != text.data() + end) return false;
    suffix = text.substr(end);
    return true;
}

} // namespace

std::optional<nanoseconds> parse_duration(std::string_view text) {
    double number = 0;
    std::string_view suffix;
    if (!split_number(text, number, suffix)) return std::nullopt;
    std::int64_t scale = 1'000'000'000; // bare number: seconds
    if (!suffix.empty()) {
        scale = 0;
        for (const Unit& unit : duration_units)
            if (suffix == unit.suffix) scale = unit.nanoseconds;
        if (scale == 0) return std::nullopt;
    }
    double value = std::round(number * static_cast<double>(scale));
    if (value > 9.0e18) return std::nullopt;
    return nanoseconds(static_cast<std::int64_t>(value));
}

std::string format_duration(nanoseconds value) {
    std::int64_t ns = value.count();
    if (ns == 0) return "0";
    for (auto unit = duration_units.rbegin(); unit != duration_units.rend(); ++unit)
        if (ns % unit->nanoseconds == 0)
            return std::to_string(ns / unit->nanoseconds).append(unit->suffix);
    return std::to_string(ns) + "ns";
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t number = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || ptr == text.data()) return std::nullopt;
    std::string_view suffix(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
    int shift = 0;
    if (suffix == "k" || suffix == "K") shift = 10;
    else if (suffix == "M") shift = 20;
    else if (suffix == "G") shift = 30;
    else if (!suffix.empty()) return std::nullopt;
    if (shift && number > (UINT64_MAX >> shift)) return std::nullopt;
    return number << shift;
}

} // namespace pb
