#pragma once
// Failed accepts (EMFILE, ENFILE, ENOBUFS, ENOMEM) reported on stderr at most
// once a second, with how many there were: a server out of descriptors says
// so without flooding its log. One per worker thread; not thread-safe.
#include <chrono>
#include <cstdint>
#include <string>

namespace pb {

class AcceptErrorLog {
public:
    explicit AcceptErrorLog(std::string who) : who_(std::move(who)) {}

    // One failed accept with this errno; prints the count of all since the
    // last line when a second has passed since it (the first at once):
    // "worker 1234: accept failed: EMFILE (Too many open files)", then
    // "worker 1234: accept failed 12 times in the last 1.0 s, last EMFILE (...)".
    void note(int error);

private:
    std::string who_;
    std::uint64_t unreported_ = 0;
    std::chrono::steady_clock::time_point last_report_{};
    bool reported_ = false;
};

} // namespace pb
