#include "measure/memory_usage.hpp"

#include <cerrno>
#include <string>

#include "common/file_text.hpp"
#include "common/numbers.hpp"
#include "common/system_error.hpp"
#include "measure/process_usage.hpp"

namespace pb::harness {

std::optional<std::uint64_t> parse_smaps_rollup_pss(std::string_view text) {
    constexpr std::string_view key = "Pss:"; // not Pss_Anon:, Pss_Dirty:, ...
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(at, end - at);
        at = end + 1;
        if (line.substr(0, key.size()) != key) continue;
        line.remove_prefix(key.size());
        const std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string_view::npos) return std::nullopt;
        line.remove_prefix(start);
        const std::size_t space = line.find(' ');
        if (space == std::string_view::npos || line.substr(space + 1) != "kB") return std::nullopt;
        const auto kib = parse_number<std::uint64_t>(line.substr(0, space));
        if (!kib) return std::nullopt;
        return *kib * 1024;
    }
    return std::nullopt;
}

MemoryUsage memory_of(const std::vector<pid_t>& pids) {
    MemoryUsage usage;
    for (pid_t pid : pids) {
        const std::string file = "/proc/" + std::to_string(pid) + "/smaps_rollup";
        const std::optional<std::string> text = read_whole_file(file);
        if (!text) {
            // ENOENT: it ended meanwhile; ESRCH: a zombie, which has no memory left.
            if (errno == ENOENT || errno == ESRCH) continue;
            throw_system_error("open or read", file);
        }
        if (const auto pss = parse_smaps_rollup_pss(*text)) {
            usage.pss_bytes += *pss;
            ++usage.processes;
        }
    }
    return usage;
}

MemoryUsage memory_of_tree(pid_t root) { return memory_of(process_tree(root)); }

} // namespace pb::harness
