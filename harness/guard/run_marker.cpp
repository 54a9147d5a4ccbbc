#include "guard/run_marker.hpp"

#include <fmt/format.h>

#include "common/numbers.hpp"

namespace pb::harness {

std::string run_marker(pid_t harness, int run) { return fmt::format("{}={}.{}", run_marker_name, harness, run); }

std::optional<pid_t> harness_of_entry(std::string_view entry) {
    if (entry.size() <= run_marker_name.size() + 1 || entry.substr(0, run_marker_name.size()) != run_marker_name ||
        entry[run_marker_name.size()] != '=')
        return std::nullopt;
    std::string_view value = entry.substr(run_marker_name.size() + 1);
    value = value.substr(0, value.find('.'));
    const std::optional<pid_t> pid = parse_number<pid_t>(value);
    if (!pid || *pid <= 0) return std::nullopt;
    return pid;
}

} // namespace pb::harness
