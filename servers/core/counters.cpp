#include "counters.hpp"

#include <cstdio>
#include <fmt/format.h>

#include "system_error.hpp"

namespace pb {

WorkerCounters::WorkerCounters(const WorkerCounters& other) { *this = other; }

WorkerCounters& WorkerCounters::operator=(const WorkerCounters& other) {
    pid.store(other.pid.load(std::memory_order_relaxed), std::memory_order_relaxed);
    connections = other.connections;
    requests = other.requests;
    responses_2xx = other.responses_2xx;
    responses_4xx = other.responses_4xx;
    responses_5xx = other.responses_5xx;
    parse_errors = other.parse_errors;
    timeouts = other.timeouts;
    bytes_in = other.bytes_in;
    bytes_out = other.bytes_out;
    accept_errors = other.accept_errors;
    respawns = other.respawns;
    return *this;
}

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
        fmt::format_to(std::back_inserter(text), "{},{},{},{},{},{},{},{},{},{},{},{},{}\n", i, w.pid.load(),
                       w.connections.get(), w.requests.get(), w.responses_2xx.get(), w.responses_4xx.get(),
                       w.responses_5xx.get(), w.parse_errors.get(), w.timeouts.get(), w.bytes_in.get(),
                       w.bytes_out.get(), w.accept_errors.get(), w.respawns.get());
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
