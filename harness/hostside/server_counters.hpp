#pragma once
// pb-remote counters: one of our servers' per-worker counters now, on its
// host: the stats file removed, SIGUSR1 to the server (which writes it
// anew and renames it into place), the file printed once it is there and
// kept as FILE.baseline.csv, as the harness does for a local server.
#include <chrono>
#include <filesystem>
#include <sys/types.h>

namespace pb::hostside {

int print_counters(pid_t server, const std::filesystem::path& stats_file, std::chrono::milliseconds timeout);

} // namespace pb::hostside
