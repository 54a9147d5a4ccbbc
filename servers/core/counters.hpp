#pragma once
// Per-worker counters. Each worker (process or thread) owns one slot and is
// its only writer, so plain increments suffice; the master reads the slots
// only after the writers are gone. Slots of forked workers live in shared
// memory (see shared_memory.hpp) so that the master can write the stats file.
#include <cstdint>
#include <span>
#include <string>
#include <sys/types.h>

#include "handler.hpp"

namespace pb {

struct alignas(64) WorkerCounters {
    pid_t pid = 0;
    std::uint64_t connections = 0;   // accepted by this worker
    std::uint64_t requests = 0;      // responses sent, any status
    std::uint64_t responses_2xx = 0;
    std::uint64_t responses_4xx = 0;
    std::uint64_t responses_5xx = 0;
    std::uint64_t parse_errors = 0;  // malformed, too large, unsupported version
    std::uint64_t timeouts = 0;      // idle or header timeout closed the connection
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t accept_errors = 0; // EMFILE, ENFILE, ENOBUFS, ... (backed off)
    std::uint64_t respawns = 0;      // times this slot's process was replaced

    void count_response(Status status);
};

// CSV, one row per slot, header first; written to a temporary file and
// renamed so that a reader never sees half a file. Throws on failure.
void write_stats_csv(const std::string& path, std::span<const WorkerCounters> workers);

inline constexpr const char* stats_csv_header =
    "worker,pid,connections,requests,responses_2xx,responses_4xx,responses_5xx,"
    "parse_errors,timeouts,bytes_in,bytes_out,accept_errors,respawns";

} // namespace pb
