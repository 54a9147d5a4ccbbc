#include "counters.hpp"

#include <cstdio>
#include <fmt/format.h>

#include "system_error.hpp"

namespace pb {

void WorkerCounters::count_response(Status status) {
    ++requests;
    auto code = static_cast<unsigned>(status);
    if (code < 300) ++responses_2xx;
    else if (code < 500) ++responses_4xx;
    else ++responses_5xx;
}

void write_stats_csv(const std::string& path, std::span<const WorkerCounters> workers) {
    std::string text = stats_csv_header;
    text += '\n';
    for (std::size_t i = 0; i < workers.size(); ++i) {
        const WorkerCounters& w = workers[i];
        fmt::format_to(std::back_inserter(text), "{},{},{},{},{},{},{},{},{},{},{},{},{}\n", i, w.pid,
                       w.connections, w.requests, w.responses_2xx, w.responses_4xx, w.responses_5xx,
                       w.parse_errors, w.timeouts, w.bytes_in, w.bytes_out, w.accept_errors, w.respawns);
    }
    const std::string temporary = path + ".tmp";
    std::FILE* file = std::fopen(temporary.c_str(), "w");
    if (file == nullptr) throw_system_error("fopen", temporary);
    bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
    int error = errno;
    if (std::fclose(file) != 0 && written) {
        written = false;
        error = errno;
    }
    if (!written) {
        std::remove(temporary.c_str());
        throw_system_error("write", temporary, error);
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) throw_system_error("rename", temporary + " -> " + path);
}

} // namespace pb
