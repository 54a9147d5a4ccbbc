#pragma once
// A server started for one run, whichever kind: one of ours
// (server_launcher.hpp) or a peer (peer_launcher.hpp). The runner measures
// either through this interface.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "measure/stats_csv.hpp"

namespace pb::harness {

class LaunchedServer {
public:
    virtual ~LaunchedServer() = default;

    virtual std::uint16_t port() const = 0;
    // Where clients reach it: this machine's loopback, or its host's address.
    virtual std::string address() const { return "127.0.0.1"; }
    // On another host: its processes are sampled there, not through pid().
    virtual bool remote() const { return false; }
    virtual pid_t pid() const = 0; // the process whose tree the harness samples
    virtual const std::vector<std::string>& command() const = 0;

    // The counters so far, or nothing for a server that exposes none.
    virtual std::optional<std::vector<WorkerRow>> counters_now(std::chrono::milliseconds timeout) = 0;

    // Stops every process of the server and proves that none is left and the
    // port is free. Returns true if it had to SIGKILL; throws if the server
    // failed or left something behind (which it has then killed).
    virtual bool stop(std::chrono::milliseconds timeout) = 0;

    // The counters at exit, after stop(); empty for a server without any.
    virtual std::vector<WorkerRow> final_counters() const = 0;
};

} // namespace pb::harness
