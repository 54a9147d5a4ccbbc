#include "results/results_dir.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <sys/stat.h>

#include "common/system_error.hpp"

namespace pb::harness {

namespace {
constexpr int max_suffix = 1000;
}

std::filesystem::path create_results_dir(const std::filesystem::path& parent, const std::string& name) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) throw_system_error("mkdir", parent.string(), error.value());
    for (int suffix = 1; suffix <= max_suffix; ++suffix) {
        const std::filesystem::path dir = parent / (suffix == 1 ? name : fmt::format("{}-{}", name, suffix));
        // mkdir either creates it or fails: the one that creates it owns it.
        if (::mkdir(dir.c_str(), 0755) == 0) return dir;
        if (errno != EEXIST) throw_system_error("mkdir", dir.string());
    }
    throw_system_error("mkdir", (parent / fmt::format("{}-{}", name, max_suffix)).string(), EEXIST);
}

} // namespace pb::harness
