#include "hostside/sample_window.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/system_error.hpp"
#include "measure/tree_sampler.hpp"
#include "measure/usage_json.hpp"

namespace pb::hostside {
namespace {

// Blocks until stdin reaches its end (anything written to it is ignored).
void wait_for_end_of_stdin() {
    char buffer[256];
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n == 0) return;
        if (n < 0 && errno != EINTR) return; // a broken channel ends the window too
    }
}

} // namespace

int sample_window(pid_t root, std::chrono::milliseconds interval) {
    harness::TreeSampler sampler(root, interval);
    sampler.start();
    std::printf("pb-remote: sampling\n");
    std::fflush(stdout);
    wait_for_end_of_stdin();
    const harness::ProcessUsage usage = sampler.stop();
    const nlohmann::json out = {{"usage", harness::to_json(usage)},
                                {"cost", harness::to_json(sampler.cost())},
                                {"error", sampler.error()}};
    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
    return 0;
}

} // namespace pb::hostside
