#include "results/run_result.hpp"

namespace pb::harness {

void mark_suspect(RunResult& run, const std::string& why) {
    if (run.status == RunStatus::ok) {
        run.status = RunStatus::suspect;
        run.reason = why;
    } else if (run.status == RunStatus::suspect) {
        run.reason += "; " + why;
    }
}

std::string to_string(RunStatus status) {
    switch (status) {
    case RunStatus::ok: return "ok";
    case RunStatus::suspect: return "suspect";
    case RunStatus::failed: return "failed";
    case RunStatus::interrupted: return "interrupted";
    }
    return "unknown";
}

std::optional<double> IdleResult::bytes_per_connection() const {
    if (!measured || held <= 0) return std::nullopt;
    return (static_cast<double>(pss_held_bytes) - static_cast<double>(pss_before_bytes)) / held;
}

} // namespace pb::harness
