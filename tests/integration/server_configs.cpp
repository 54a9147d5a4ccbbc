#include "server_configs.hpp"

namespace itest {

const std::vector<ServerConfig>& all_configs() {
    static const std::vector<ServerConfig> configs = {
        {"prefork_reuseport", PREFORK_EPOLL_BINARY, {"--listener", "reuseport"}, 2, 2, true, "--listener"},
        {"prefork_shared", PREFORK_EPOLL_BINARY, {"--listener", "shared"}, 2, 2, true, "--listener"},
        // The control: the same epoll workers as threads of one process.
        {"prefork_threads", PREFORK_EPOLL_BINARY, {"--as", "threads"}, 2, 2, false, "--as"},
        {"threadpool", THREADPOOL_BINARY, {}, 2, 2, false, ""},
        {"accept_mutex_epoll", ACCEPT_MUTEX_FORK_BINARY, {"--io", "epoll"}, 2, 2, true, "--io"},
        // One connection per process at a time: enough workers to hold every
        // connection a test keeps open at once.
        {"accept_mutex_blocking", ACCEPT_MUTEX_FORK_BINARY, {"--io", "blocking"}, 8, 80, true, "--io"},
    };
    return configs;
}

const std::vector<ServerConfig>& forking_configs() {
    static const std::vector<ServerConfig> configs = [] {
        std::vector<ServerConfig> forking;
        for (const ServerConfig& config : all_configs())
            if (config.forking) forking.push_back(config);
        return forking;
    }();
    return configs;
}

const std::vector<ServerConfig>& one_config_per_binary() {
    static const std::vector<ServerConfig> configs = {
        {"prefork_epoll", PREFORK_EPOLL_BINARY, {}, 2, 2, true, "--listener"},
        {"threadpool", THREADPOOL_BINARY, {}, 2, 2, false, ""},
        {"accept_mutex_fork", ACCEPT_MUTEX_FORK_BINARY, {}, 2, 2, true, "--io"},
    };
    return configs;
}

std::vector<std::string> server_args(const ServerConfig& config, const std::vector<std::string>& extra,
                                     std::optional<int> workers) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--workers",
                                     std::to_string(workers.value_or(config.workers))};
    args.insert(args.end(), config.model_args.begin(), config.model_args.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

std::string config_name(const testing::TestParamInfo<ServerConfig>& info) { return info.param.name; }

void PrintTo(const ServerConfig& config, std::ostream* out) {
    *out << config.name << " (" << config.binary;
    for (const std::string& arg : config.model_args) *out << ' ' << arg;
    *out << ")";
}

} // namespace itest
