#include "stats/accept_error_log.hpp"

#include <cstdio>
#include <cstring>
#include <fmt/format.h>

namespace pb {

std::string AcceptErrorLog::line(std::string_view who, std::uint64_t count, std::chrono::nanoseconds over, int error) {
    const char* name = strerrorname_np(error);
    if (over == std::chrono::nanoseconds::zero())
        return fmt::format("{}: accept failed: {} ({})", who, name != nullptr ? name : std::to_string(error).c_str(),
                           std::strerror(error));
    return fmt::format("{}: accept failed {} time{} in the last {:.1f} s, last {} ({})", who, count,
                       count == 1 ? "" : "s", std::chrono::duration<double>(over).count(),
                       name != nullptr ? name : std::to_string(error).c_str(), std::strerror(error));
}

void AcceptErrorLog::note(int error) {
    ++unreported_;
    const auto now = std::chrono::steady_clock::now();
    if (reported_ && now - last_report_ < std::chrono::seconds(1)) return;
    const auto over = reported_ ? now - last_report_ : std::chrono::nanoseconds::zero();
    std::fprintf(stderr, "%s\n", line(who_, unreported_, over, error).c_str());
    std::fflush(stderr);
    unreported_ = 0;
    last_report_ = now;
    reported_ = true;
}

} // namespace pb
