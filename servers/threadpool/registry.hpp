#pragma once
// The live connections, so that shutdown can reach each one, and the moment
// the last one is gone. Connections register at accept and leave in their
// destructor, on any io thread, hence the lock; it is taken twice per
// connection and never per request.
#include <functional>
#include <mutex>

#include <boost/intrusive/list.hpp>

#include "threadpool/connection.hpp"

namespace pb::threadpool {

class ConnectionRegistry {
public:
    // `on_drained` runs once no connection is left after stop_all(), on the
    // thread that destroyed the last one (or in stop_all if there was none).
    explicit ConnectionRegistry(std::function<void()> on_drained);
    ~ConnectionRegistry();
    ConnectionRegistry(const ConnectionRegistry&) = delete;
    ConnectionRegistry& operator=(const ConnectionRegistry&) = delete;

    // False once stopping: the caller drops the connection instead of starting it.
    bool add(Connection& connection);
    void remove(Connection& connection);

    void stop_all();
    // No callbacks after this: connections that the io_context destroys
    // after its threads are gone must not call back into a stopped server.
    void detach();

private:
    using List = boost::intrusive::list<Connection, boost::intrusive::constant_time_size<false>>;

    std::mutex mutex_;
    List connections_;
    bool stopping_ = false;
    bool detached_ = false;
    std::function<void()> on_drained_;
};

} // namespace pb::threadpool
