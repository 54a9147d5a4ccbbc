#include "http/date_cache.hpp"

#include <cstring>

namespace pb {
namespace {

constexpr const char* day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void put2(char* out, int value) {
    out[0] = static_cast<char>('0' + value / 10);
    out[1] = static_cast<char>('0' + value % 10);
}

} // namespace

void format_http_date(std::time_t when, char (&out)[http_date_size]) {
    std::tm utc{};
    gmtime_r(&when, &utc);
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    std::memcpy(out, day_names[utc.tm_wday], 3);
    std::memcpy(out + 3, ", ", 2);
    put2(out + 5, utc.tm_mday);
    out[7] = ' ';
    std::memcpy(out + 8, month_names[utc.tm_mon], 3);
    out[11] = ' ';
    int year = utc.tm_year + 1900;
    put2(out + 12, year / 100);
    put2(out + 14, year % 100);
    out[16] = ' ';
    put2(out + 17, utc.tm_hour);
    out[19] = ':';
    put2(out + 20, utc.tm_min);
    out[22] = ':';
    put2(out + 23, utc.tm_sec);
    std::memcpy(out + 25, " GMT", 4);
}

std::string_view DateCache::now() {
    // The coarse clock is read from the vDSO without a system call; its tick
    // (a few ms) is far finer than the one-second resolution of the header.
    timespec ts{};
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return at(ts.tv_sec);
}

} // namespace pb
