#include "common/ready_line.hpp"

#include <charconv>
#include <fmt/format.h>

#include "common/wait_status.hpp"

namespace pb {
namespace {

std::optional<long> to_number(std::string_view text) {
    long value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

} // namespace

std::string format_ready_line(std::string_view model, std::string_view listen, pid_t pid, int workers) {
    return fmt::format("ready model={} listen={} pid={} workers={}", model, listen, pid, workers);
}

std::optional<ReadyLine> parse_ready_line(std::string_view line) {
    constexpr std::string_view prefix = "ready ";
    if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
    line.remove_prefix(prefix.size());
    constexpr std::string_view keys[] = {"model=", "listen=", "pid=", "workers="};
    std::string_view values[4];
    for (int i = 0; i < 4; ++i) {
        if (line.substr(0, keys[i].size()) != keys[i]) return std::nullopt;
        line.remove_prefix(keys[i].size());
        const std::size_t end = line.find(' ');
        values[i] = line.substr(0, end);
        if (values[i].empty() || (i < 3 && end == std::string_view::npos)) return std::nullopt;
        line = end == std::string_view::npos ? std::string_view{} : line.substr(end + 1);
    }
    if (!line.empty()) return std::nullopt;

    const std::size_t colon = values[1].rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto port = to_number(values[1].substr(colon + 1));
    const auto pid = to_number(values[2]);
    const auto workers = to_number(values[3]);
    if (!port || !pid || !workers || *port < 0 || *port > 65535 || *pid <= 0 || *workers <= 0) return std::nullopt;
    ReadyLine ready;
    ready.model = std::string(values[0]);
    ready.host = std::string(values[1].substr(0, colon));
    ready.port = static_cast<int>(*port);
    ready.pid = static_cast<pid_t>(*pid);
    ready.workers = static_cast<int>(*workers);
    return ready;
}

ReadyWait wait_for_ready(ChildProcess& process, std::chrono::milliseconds timeout) {
    ReadyWait wait;
    const std::optional<std::string> line = process.read_line(timeout);
    if (line) {
        wait.ready = parse_ready_line(*line);
        if (!wait.ready) wait.error = fmt::format("printed \"{}\" instead of a ready line", *line);
    } else if (process.output_ended() || process.exited()) {
        // The end of its output: it exited or closed stdout; give the exit a moment to be seen.
        process.wait_for(std::chrono::milliseconds(500));
        wait.error = process.wait_status() ? describe_wait_status(*process.wait_status()) + " before its ready line"
                                           : std::string("closed its stdout before its ready line");
    } else {
        wait.error = fmt::format("printed no ready line within {} ms", timeout.count());
    }
    return wait;
}

} // namespace pb
