#include "server_test.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <system_error>

namespace itest {

void ServerTest::start(const std::vector<std::string>& extra, std::optional<int> workers) {
    const ServerConfig& config = GetParam();
    workers_ = workers.value_or(config.workers);
    server_ = std::make_unique<ServerProcess>(config.binary, server_args(config, extra, workers_));
    ASSERT_TRUE(server_->wait_ready()) << server_->describe();
    ASSERT_GT(server_->port(), 0) << server_->describe();
}

ServerTest::Health ServerTest::health() { return Health{server_->children()}; }

void ServerTest::expect_same_health(const Health& before) {
    EXPECT_TRUE(server_->running()) << "the server died:\n" << server_->describe();
    if (GetParam().forking) {
        EXPECT_EQ(server_->children(), before.children)
            << "a worker process was replaced (it died):\n" << server_->describe();
    }
}

std::optional<StatsFile> ServerTest::counters_now(const TempPath& stats, milliseconds timeout) {
    // Gone first, so that the file that appears is a snapshot taken after
    // this signal (or after an earlier one: counters only grow).
    std::error_code ignored;
    std::filesystem::remove(stats.str(), ignored);
    server_->signal(SIGUSR1);
    std::optional<StatsFile> file;
    std::string error;
    wait_until([&] { return (file = read_stats(stats.str(), error)).has_value(); }, timeout);
    return file;
}

bool ServerTest::wait_for_counters(const TempPath& stats, const std::function<bool(const StatsFile&)>& done,
                                   milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    do {
        const auto file = counters_now(stats, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
        if (file && done(*file)) return true;
    } while (Clock::now() < deadline);
    return false;
}

void ServerTest::TearDown() {
    if (!server_) return;
    if (HasFailure()) std::cerr << "---- server ----\n" << server_->describe() << "\n----------------\n";
    std::vector<pid_t> left_behind = server_->stop();
    EXPECT_TRUE(left_behind.empty()) << left_behind.size()
                                     << " of the server's processes outlived it (still running 2 s after its "
                                        "master exited); the test killed them";
    server_.reset();
}

void expect_serves(int port, const std::string& context) {
    ReadResult result = fetch(port);
    EXPECT_EQ(result.status(), 200) << context << ": " << result;
    if (result.ok()) {
        EXPECT_EQ(result.response.body, "Hello, World!") << context;
    }
}

} // namespace itest
