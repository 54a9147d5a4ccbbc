#pragma once
// A mutex shared by forked processes: pthread_mutex with PTHREAD_PROCESS_SHARED
// in a MAP_SHARED page. It is ROBUST because a child can die holding it
// (SIGKILL, a crash): the next locker gets EOWNERDEAD, repairs the state and
// carries on, so a dead child cannot freeze accept for everyone.
#include <chrono>
#include <cstdint>
#include <pthread.h>

namespace pb {

class ProcessMutex {
public:
    ProcessMutex();  // place it in shared memory before fork
    ~ProcessMutex();
    ProcessMutex(const ProcessMutex&) = delete;
    ProcessMutex& operator=(const ProcessMutex&) = delete;

    bool try_lock();
    // Waits up to `timeout`; false on timeout. Bounded so that a waiter can
    // notice a stop request (signals do not interrupt pthread_mutex_lock).
    bool lock_for(std::chrono::nanoseconds timeout);
    void unlock();

    std::uint64_t recoveries() const { return recoveries_; } // EOWNERDEAD repairs

private:
    bool acquired(int rc, const char* call);
    pthread_mutex_t mutex_;
    std::uint64_t recoveries_ = 0;
};

} // namespace pb
