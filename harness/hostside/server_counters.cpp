#include "hostside/server_counters.hpp"

#include <signal.h>

#include <cstdio>
#include <fmt/format.h>
#include <stdexcept>
#include <thread>

#include "common/file_text.hpp"
#include "common/system_error.hpp"

namespace pb::hostside {

int print_counters(pid_t server, const std::filesystem::path& stats_file, std::chrono::milliseconds timeout) {
    std::error_code ignored;
    std::filesystem::remove(stats_file, ignored);
    if (::kill(server, SIGUSR1) != 0) throw_system_error("kill", fmt::format("{}, SIGUSR1", server));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!std::filesystem::exists(stats_file)) {
        if (std::chrono::steady_clock::now() >= deadline)
            throw std::runtime_error(fmt::format("the server wrote no {} within {} ms of SIGUSR1", stats_file.string(),
                                                 timeout.count()));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const std::optional<std::string> text = read_whole_file(stats_file);
    if (!text) throw std::runtime_error(fmt::format("cannot read {}", stats_file.string()));
    std::filesystem::path baseline = stats_file;
    baseline.replace_extension(".baseline.csv");
    std::filesystem::rename(stats_file, baseline);
    std::fwrite(text->data(), 1, text->size(), stdout);
    std::fflush(stdout);
    return 0;
}

} // namespace pb::hostside
