// Out of file descriptors (EMFILE): the server keeps serving what it has,
// does not spin, counts each failed accept and says so on stderr at most
// once a second per worker, with a count, instead of never or on every try.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_test.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;

constexpr const char* prlimit = "/usr/bin/prlimit"; // util-linux: sets the limit, then execs the server
constexpr int descriptor_limit = 64;
constexpr int clients = 200; // more than the limit in each worker, also with SO_REUSEPORT spreading them

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t count = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
    return count;
}

class OutOfDescriptors : public ServerTest {};

TEST_P(OutOfDescriptors, FailedAcceptsAreCountedAndLoggedAtMostOnceASecond) {
    if (access(prlimit, X_OK) != 0) GTEST_SKIP() << prlimit << " is not installed (util-linux)";
    const ServerConfig& config = GetParam();
#ifdef PREFORK_BENCH_SANITIZE
    // UBSan's vptr check reads /proc/self/maps; with no descriptor left it
    // reports the Boost error categories asio compares as invalid objects.
    if (config.name == "threadpool") GTEST_SKIP() << "UBSan's vptr check needs a free descriptor";
#endif
    for (const std::string& arg : config.model_args)
        if (arg == "blocking")
            GTEST_SKIP() << "one connection per process: the rest wait in the listen queue, never an EMFILE";
    TempPath stats("itest-stats");
    std::vector<std::string> args{"--nofile=" + std::to_string(descriptor_limit), "--", config.binary};
    for (const std::string& arg : server_args(config, {"--delay", "0", "--stats", stats.str()}, config.workers))
        args.push_back(arg);
    server_ = std::make_unique<ServerProcess>(prlimit, args);
    ASSERT_TRUE(server_->wait_ready()) << server_->describe();
    workers_ = config.workers;

    std::vector<HttpClient> held;
    held.reserve(clients);
    const auto begin = Clock::now();
    for (int i = 0; i < clients; ++i) held.emplace_back(port()); // the kernel completes them all; accept cannot
    ASSERT_TRUE(wait_until([&] { return server_->stderr_text().find("accept failed: EMFILE") != std::string::npos; },
                           5000ms))
        << "no EMFILE line on stderr:\n" << server_->describe();
    std::this_thread::sleep_for(1500ms); // the failing accepts go on: what the throttle is for
    const auto seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    const std::size_t lines = count_of(server_->stderr_text(), "accept failed");
    EXPECT_LE(lines, static_cast<std::size_t>(workers_ * (seconds + 2))) << server_->stderr_text();

    held.clear(); // descriptors free again: the server accepts the next one
    expect_serves(port(), "new connection once descriptors are free");
    // Only now: writing the stats file takes a descriptor too.
    EXPECT_TRUE(wait_for_counters(stats, [](const StatsFile& f) { return f.sum("accept_errors") >= 1; }))
        << "failed accepts are counted";
}

INSTANTIATE_TEST_SUITE_P(Servers, OutOfDescriptors, testing::ValuesIn(all_configs()), config_name);

} // namespace
} // namespace itest
