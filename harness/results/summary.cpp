#include "results/summary.hpp"

#include <cstdlib>
#include <fmt/format.h>

#include "common/child_process.hpp"
#include "common/program_path.hpp"
#include "common/wait_status.hpp"

#ifndef PREFORK_BENCH_SOURCE_DIR
#error "PREFORK_BENCH_SOURCE_DIR must name the source tree (harness/CMakeLists.txt)"
#endif

namespace pb::harness {
namespace {

std::optional<std::string> python() {
    if (const char* chosen = std::getenv("PREFORK_BENCH_PYTHON"); chosen != nullptr && *chosen != '\0')
        return resolve_program(chosen);
    if (auto debian = resolve_program("/usr/bin/python3")) return debian;
    return find_on_path("python3");
}

} // namespace

std::optional<std::vector<std::string>> summary_command(const std::filesystem::path& results_dir) {
    const std::optional<std::string> interpreter = python();
    if (!interpreter) return std::nullopt;
    return std::vector<std::string>{*interpreter, "-m", "plots.summary", results_dir.string()};
}

std::optional<std::string> write_summary(const std::filesystem::path& results_dir, std::chrono::milliseconds timeout) {
    const auto command = summary_command(results_dir);
    if (!command)
        return std::string("no Python found for plots.summary (set PREFORK_BENCH_PYTHON, or `make deps`)");
    const std::filesystem::path log = results_dir / "raw" / "summary.log";
    std::error_code ignored;
    std::filesystem::create_directories(log.parent_path(), ignored);
    ChildSpec spec;
    spec.argv = *command;
    // This source tree's plots first (and only it: PYTHONSAFEPATH keeps the
    // current directory, maybe another checkout, off sys.path); the user's
    // PYTHONPATH after it, where pandas may live.
    const char* user_path = std::getenv("PYTHONPATH");
    std::string path = PREFORK_BENCH_SOURCE_DIR;
    if (user_path != nullptr && *user_path != '\0') path += std::string(":") + user_path;
    spec.env = {{"PYTHONPATH", path}, {"PYTHONSAFEPATH", "1"}, {"MPLBACKEND", "Agg"}};
    spec.stdout_file = log;
    spec.stderr_file = log;
    try {
        ChildProcess process(spec);
        if (!process.wait_for(timeout)) {
            process.kill_group();
            return fmt::format("{} -m plots.summary took longer than {} s; see {}", spec.argv[0],
                               std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), log.string());
        }
        if (*process.wait_status() != 0)
            return fmt::format("{} -m plots.summary {}; see {}", spec.argv[0], describe_wait_status(*process.wait_status()),
                               log.string());
    } catch (const std::exception& error) {
        return fmt::format("plots.summary: {}", error.what());
    }
    return std::nullopt;
}

} // namespace pb::harness
