#include "stats/worker_counters.hpp"

#include <fmt/format.h>
#include <iterator>

#include "common/file_text.hpp"

namespace pb {

WorkerCounters::WorkerCounters(const WorkerCounters& other) { *this = other; }

WorkerCounters& WorkerCounters::operator=(const WorkerCounters& other) {
    pid.store(other.pid.load(std::memory_order_relaxed), std::memory_order_relaxed);
#define PB_COPY_COUNTER(name, meaning) name = other.name;
    PB_WORKER_COUNTERS(PB_COPY_COUNTER)
#undef PB_COPY_COUNTER
    return *this;
}

void WorkerCounters::count_response_code(unsigned code) {
    ++requests;
    if (code < 300) ++responses_2xx;
    else if (code < 500) ++responses_4xx;
    else ++responses_5xx;
}

std::string stats_csv_header() {
    std::string header = "worker,pid";
#define PB_COUNTER_COLUMN(name, meaning) header += "," #name;
    PB_WORKER_COUNTERS(PB_COUNTER_COLUMN)
#undef PB_COUNTER_COLUMN
    return header;
}

void write_stats_csv(const std::string& path, std::span<const WorkerCounters> workers) {
    std::string text = stats_csv_header();
    text += '\n';
    for (std::size_t i = 0; i < workers.size(); ++i) {
        const WorkerCounters& w = workers[i];
        fmt::format_to(std::back_inserter(text), "{},{}", i, w.pid.load());
#define PB_COUNTER_VALUE(name, meaning) fmt::format_to(std::back_inserter(text), ",{}", w.name.get());
        PB_WORKER_COUNTERS(PB_COUNTER_VALUE)
#undef PB_COUNTER_VALUE
        text += '\n';
    }
    write_file_atomically(path, text);
}

} // namespace pb
