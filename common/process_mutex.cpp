#include "common/process_mutex.hpp"

#include <cerrno>
#include <ctime>

#include "common/system_error.hpp"

namespace pb {

ProcessMutex::ProcessMutex() {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
    int rc = pthread_mutex_init(&mutex_, &attributes);
    pthread_mutexattr_destroy(&attributes);
    if (rc != 0) throw_system_error("pthread_mutex_init", "PROCESS_SHARED ROBUST", rc);
}

ProcessMutex::~ProcessMutex() { pthread_mutex_destroy(&mutex_); }

// EOWNERDEAD: the previous holder died with the lock. The state it protects
// is only "who may accept", so marking it consistent is the whole repair.
bool ProcessMutex::acquired(int rc, const char* call) {
    if (rc == 0) return true;
    if (rc == EOWNERDEAD) {
        ++recoveries_;
        pthread_mutex_consistent(&mutex_);
        return true;
    }
    if (rc == EBUSY || rc == ETIMEDOUT) return false;
    throw_system_error(call, "accept mutex", rc);
}

bool ProcessMutex::try_lock() { return acquired(pthread_mutex_trylock(&mutex_), "pthread_mutex_trylock"); }

bool ProcessMutex::lock_for(std::chrono::nanoseconds timeout) {
    // A monotonic deadline: a wall-clock step must not stretch the wait.
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    auto total = std::chrono::nanoseconds(deadline.tv_nsec) + timeout;
    deadline.tv_sec += static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(total).count());
    deadline.tv_nsec = static_cast<long>((total % std::chrono::seconds(1)).count());
    return acquired(pthread_mutex_clocklock(&mutex_, CLOCK_MONOTONIC, &deadline), "pthread_mutex_clocklock");
}

void ProcessMutex::unlock() { pthread_mutex_unlock(&mutex_); }

} // namespace pb
