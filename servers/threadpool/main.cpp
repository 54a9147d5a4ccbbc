// threadpool: one process, one acceptor, an asio io_context run by N threads.
#include "cli/server_main.hpp"
#include "common/pauser.hpp"
#include "stats/worker_counters.hpp"
#include "threadpool/server.hpp"

int main(int argc, char** argv) {
    // asio sends with MSG_NOSIGNAL; server_main ignores SIGPIPE for everything else.
    return pb::server_main(argc, argv, "threadpool",
                           "One process, one acceptor, an asio io_context run by --workers threads; "
                           "the delay is an asio timer.",
                           {}, [](const pb::ServerOptions& options) {
                               // Before the io threads, and outliving them (common/pauser.hpp).
                               const pb::Pauser pauser = pb::Pauser::start(options.pause);
                               pb::threadpool::Server server(options);
                               server.run();
                               if (!options.stats_path.empty()) pb::write_stats_csv(options.stats_path, server.counters());
                               return 0;
                           });
}
