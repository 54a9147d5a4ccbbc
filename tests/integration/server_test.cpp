#include "server_test.hpp"

#include <iostream>

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
