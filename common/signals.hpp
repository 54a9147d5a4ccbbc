#pragma once
// Signal sets and masks, with failures that name the call and the signals.
// Servers take their stop signals through a signalfd, so that a signal never
// interrupts a request half done.
#include <csignal>
#include <initializer_list>
#include <string>

#include "common/fd.hpp"

namespace pb {

using Signals = std::initializer_list<int>;

sigset_t signal_set(Signals signals);

// "SIGTERM SIGINT": for messages.
std::string signal_names(Signals signals);

// pthread_sigmask(SIG_BLOCK / SIG_UNBLOCK, ...) on the calling thread;
// throws naming the signals.
void block_signals(Signals signals);
void unblock_signals(Signals signals);

// Blocks the signals and returns a non-blocking, close-on-exec signalfd
// that reads them instead.
Fd block_into_signalfd(Signals signals);

} // namespace pb
