#include "common/signals.hpp"

#include <cstring>
#include <sys/signalfd.h>

#include "common/system_error.hpp"

namespace pb {
namespace {

void change_mask(int how, Signals signals) {
    const sigset_t set = signal_set(signals);
    // pthread_sigmask: in a threaded process sigprocmask is unspecified.
    if (const int error = pthread_sigmask(how, &set, nullptr); error != 0)
        throw_system_error(how == SIG_BLOCK ? "pthread_sigmask SIG_BLOCK" : "pthread_sigmask SIG_UNBLOCK",
                           signal_names(signals), error);
}

} // namespace

sigset_t signal_set(Signals signals) {
    sigset_t set;
    sigemptyset(&set);
    for (int signo : signals) sigaddset(&set, signo);
    return set;
}

std::string signal_names(Signals signals) {
    std::string names;
    for (int signo : signals) {
        if (!names.empty()) names += ' ';
        const char* abbreviation = sigabbrev_np(signo);
        names += abbreviation != nullptr ? "SIG" + std::string(abbreviation) : std::to_string(signo);
    }
    return names;
}

void block_signals(Signals signals) { change_mask(SIG_BLOCK, signals); }

void unblock_signals(Signals signals) { change_mask(SIG_UNBLOCK, signals); }

Fd block_into_signalfd(Signals signals) {
    block_signals(signals);
    const sigset_t set = signal_set(signals);
    Fd fd(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd) throw_system_error("signalfd", signal_names(signals));
    return fd;
}

} // namespace pb
