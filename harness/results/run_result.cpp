#include "results/run_result.hpp"

namespace pb::harness {

std::string to_string(RunStatus status) {
    switch (status) {
    case RunStatus::ok: return "ok";
    case RunStatus::failed: return "failed";
    case RunStatus::interrupted: return "interrupted";
    }
    return "unknown";
}

} // namespace pb::harness
