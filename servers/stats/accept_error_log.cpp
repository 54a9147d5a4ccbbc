#include "stats/accept_error_log.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unistd.h>

namespace pb {
namespace {

// Formatted on the stack and written with one write(2): a process out of
// descriptors is the wrong place to allocate or to need anything opened
// (sanitizers, for one, cannot read /proc/self/maps then).
std::size_t format_line(char* out, std::size_t size, std::string_view who, std::uint64_t count,
                        std::chrono::nanoseconds over, int error) {
    const char* name = strerrorname_np(error);
    char number[16];
    if (name == nullptr) {
        std::snprintf(number, sizeof number, "%d", error);
        name = number;
    }
    const int written =
        over == std::chrono::nanoseconds::zero()
            ? std::snprintf(out, size, "%.*s: accept failed: %s (%s)\n", static_cast<int>(who.size()), who.data(), name,
                            std::strerror(error))
            : std::snprintf(out, size, "%.*s: accept failed %llu time%s in the last %.1f s, last %s (%s)\n",
                            static_cast<int>(who.size()), who.data(), static_cast<unsigned long long>(count),
                            count == 1 ? "" : "s", std::chrono::duration<double>(over).count(), name,
                            std::strerror(error));
    if (written < 0) return 0;
    return std::min(static_cast<std::size_t>(written), size - 1);
}

} // namespace

void AcceptErrorLog::note(int error) {
    ++unreported_;
    const auto now = std::chrono::steady_clock::now();
    if (reported_ && now - last_report_ < std::chrono::seconds(1)) return;
    const auto over = reported_ ? now - last_report_ : std::chrono::nanoseconds::zero();
    char text[256];
    const std::size_t size = format_line(text, sizeof text, who_, unreported_, over, error);
    (void)!::write(STDERR_FILENO, text, size); // nothing to do if stderr is gone too
    unreported_ = 0;
    last_report_ = now;
    reported_ = true;
}

} // namespace pb
