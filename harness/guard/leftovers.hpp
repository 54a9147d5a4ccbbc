#pragma once
// Before a harness runs anything: processes that an earlier harness left
// (it was killed before its watchdog could act, or the watchdog was killed
// too) would sit on the CPUs this run measures. Found by their run markers.
#include <vector>

#include "guard/marked_processes.hpp"

namespace pb::harness {

enum class Leftovers { refuse, kill };

// Nothing left: returns nothing. Leftovers with Leftovers::refuse: throws
// naming each PID and command and --kill-leftovers. With Leftovers::kill:
// SIGKILLs them, waits until they are gone (throws if some survive 2 s) and
// returns what it killed.
std::vector<MarkedProcess> deal_with_leftovers(Leftovers what);

} // namespace pb::harness
