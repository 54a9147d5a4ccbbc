// threadpool: one process, one acceptor, an asio io_context run by N threads.
#include <csignal>
#include <exception>
#include <iostream>

#include "cli/command_line.hpp"
#include "stats/worker_counters.hpp"
#include "threadpool/server.hpp"

int main(int argc, char** argv) {
    try {
        pb::ServerOptions options = pb::parse_command_line(
            argc, argv, "threadpool",
            "One process, one acceptor, an asio io_context run by --workers threads; "
            "the delay is an asio timer.");
        // asio sends with MSG_NOSIGNAL, but nothing else may die of a closed peer either.
        std::signal(SIGPIPE, SIG_IGN);

        pb::threadpool::Server server(options);
        server.run();
        if (!options.stats_path.empty()) pb::write_stats_csv(options.stats_path, server.counters());
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "threadpool: " << error.what() << '\n';
        return 1;
    }
}
