#include "guard/leftovers.hpp"

#include <chrono>
#include <csignal>
#include <fmt/format.h>
#include <stdexcept>
#include <thread>

namespace pb::harness {

using namespace std::chrono_literals;

std::vector<MarkedProcess> deal_with_leftovers(Leftovers what) {
    const std::vector<MarkedProcess> found = processes_of_gone_harnesses();
    if (found.empty()) return {};
    if (what == Leftovers::refuse)
        throw std::runtime_error(fmt::format("{} process(es) of an earlier harness run are still running: {}; end them "
                                             "or pass --kill-leftovers",
                                             found.size(), describe(found)));
    for (const MarkedProcess& process : found) ::kill(process.pid, SIGKILL);
    // SIGKILL acts asynchronously: confirm before going on.
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    std::vector<MarkedProcess> left = processes_of_gone_harnesses();
    while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
        left = processes_of_gone_harnesses();
    }
    if (!left.empty())
        throw std::runtime_error(fmt::format("leftovers still alive 2 s after SIGKILL: {}", describe(left)));
    return found;
}

} // namespace pb::harness
