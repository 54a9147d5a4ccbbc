#include "common/program_path.hpp"

#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace pb {
namespace {

bool is_executable_file(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

} // namespace

std::optional<std::string> find_on_path(std::string_view name) {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    for (;;) {
        const std::size_t colon = dirs.find(':');
        std::string_view dir = dirs.substr(0, colon);
        if (dir.empty()) dir = "."; // an empty PATH entry means the current directory
        // Appended into reserved room: GCC 12 warns falsely (-Wrestrict) on
        // the temporaries of dir + "/" + name.
        std::string candidate;
        candidate.reserve(dir.size() + 1 + name.size());
        candidate.append(dir).append(1, '/').append(name);
        if (is_executable_file(candidate)) return candidate;
        if (colon == std::string_view::npos) return std::nullopt;
        dirs.remove_prefix(colon + 1);
    }
}

std::optional<std::string> resolve_program(std::string_view program) {
    if (program.find('/') == std::string_view::npos) return find_on_path(program);
    std::string path(program);
    if (is_executable_file(path)) return path;
    return std::nullopt;
}

} // namespace pb
