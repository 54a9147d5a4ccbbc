#pragma once
// The Date header (RFC 7231 IMF-fixdate), formatted at most once a second.
// One instance per worker thread: it is not shared between threads.
#include <cstddef>
#include <ctime>
#include <string_view>

namespace pb {

inline constexpr std::size_t http_date_size = 29; // "Sun, 06 Nov 1994 08:49:37 GMT"

void format_http_date(std::time_t when, char (&out)[http_date_size]);

class DateCache {
public:
    // The date now, by the coarse real-time clock: what the servers send.
    std::string_view now();
    // The date at `second`, formatted only when it is not the second asked
    // for last. now() is this with the clock's second; tests pass their own
    // clock's. Inline, so that now() pays nothing for the seam.
    std::string_view at(std::time_t second) {
        if (second != second_) {
            format_http_date(second, text_);
            second_ = second;
            ++formats_;
        }
        return {text_, http_date_size};
    }
    std::size_t formats() const { return formats_; } // how often it really formatted

private:
    std::time_t second_ = -1;
    std::size_t formats_ = 0;
    char text_[http_date_size] = {};
};

} // namespace pb
