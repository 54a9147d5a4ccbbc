#pragma once
// The fixture of the parameterised tests: starts the configured server, and
// on teardown stops it, prints its stderr if the test failed and fails the
// test if stopping it left processes behind.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_configs.hpp"
#include "server_process.hpp"
#include "stats_csv.hpp"

namespace itest {

// The delay of the behaviour tests: short, but not zero, so that every
// response goes through the model's wait.
inline const std::vector<std::string> short_delay = {"--delay", "10ms"};

class ServerTest : public testing::TestWithParam<ServerConfig> {
protected:
    // Starts the server with the configuration's arguments plus `extra` and
    // waits for its ready line. Fatal failure if it does not come: call it
    // inside ASSERT_NO_FATAL_FAILURE.
    void start(const std::vector<std::string>& extra = short_delay, std::optional<int> workers = std::nullopt);
    ServerProcess& server() { return *server_; }
    int port() const { return server_->port(); }
    int workers() const { return workers_; }

    // What "the worker survived" means: the same children as before for a
    // forking server (none crashed and was replaced), the process still
    // running for any server.
    struct Health {
        std::vector<pid_t> children;
    };
    Health health();
    void expect_same_health(const Health& before);

    // The counters so far, the harness's way: SIGUSR1, then the file the
    // server writes (renames into place) at `stats`, the --stats path it was
    // started with. Nothing if no file came within `timeout`.
    std::optional<StatsFile> counters_now(const TempPath& stats, milliseconds timeout = milliseconds(3000));
    // Snapshots until one satisfies `done`: the event "the server has
    // counted this" (read a request's bytes, accepted every connection).
    bool wait_for_counters(const TempPath& stats, const std::function<bool(const StatsFile&)>& done,
                           milliseconds timeout = milliseconds(5000));
    // The server has read at least `bytes` (over all its connections).
    bool wait_for_bytes_in(const TempPath& stats, std::size_t bytes) {
        return wait_for_counters(stats, [bytes](const StatsFile& f) { return f.sum("bytes_in") >= bytes; });
    }

    void TearDown() override;

    std::unique_ptr<ServerProcess> server_;
    int workers_ = 0;
};

// Expects a 200 with the hello body on a new connection.
void expect_serves(int port, const std::string& context);

} // namespace itest
