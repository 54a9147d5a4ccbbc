#pragma once
// The server configurations every behaviour test runs against: each of the
// three binaries, with the model flags that select its variants (among them
// prefork-epoll --as threads, the one-process control).
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace itest {

struct ServerConfig {
    std::string name;                  // test name suffix, e.g. "prefork_reuseport"
    std::string binary;                // absolute path of the executable
    std::vector<std::string> model_args; // e.g. {"--listener", "shared"}
    int workers = 2;                   // default --workers
    int concurrent_workers = 2;        // --workers for the 64-connection test
    bool forking = false;              // a master with child (worker) processes
    std::string model_flag;            // the binary's own flag taking a value, if any
};

const std::vector<ServerConfig>& all_configs();
const std::vector<ServerConfig>& forking_configs();
// One configuration per binary, for the command-line tests.
const std::vector<ServerConfig>& one_config_per_binary();

// "--listen 127.0.0.1:0 --workers N <model args> <extra>".
std::vector<std::string> server_args(const ServerConfig& config, const std::vector<std::string>& extra,
                                     std::optional<int> workers = std::nullopt);

std::string config_name(const testing::TestParamInfo<ServerConfig>& info);

// So that gtest prints a readable parameter rather than raw bytes.
void PrintTo(const ServerConfig& config, std::ostream* out);

} // namespace itest
