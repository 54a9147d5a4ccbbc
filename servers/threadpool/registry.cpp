#include "threadpool/registry.hpp"

#include <utility>

namespace pb::threadpool {

ConnectionRegistry::ConnectionRegistry(std::function<void()> on_drained)
    : on_drained_(std::move(on_drained)) {}

ConnectionRegistry::~ConnectionRegistry() {
    // Connections outliving the registry would be a bug; unlinking keeps the
    // hooks' safe-mode checks quiet if it ever happens.
    std::lock_guard lock(mutex_);
    connections_.clear();
}

bool ConnectionRegistry::add(Connection& connection) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    connections_.push_back(connection);
    return true;
}

void ConnectionRegistry::remove(Connection& connection) {
    bool drained = false;
    {
        std::lock_guard lock(mutex_);
        if (!connection.is_linked()) return; // never added: refused while stopping
        connections_.erase(connections_.iterator_to(connection));
        drained = stopping_ && !detached_ && connections_.empty();
    }
    if (drained) on_drained_();
}

void ConnectionRegistry::stop_all() {
    bool drained = false;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        // stop() only posts: no connection runs (or dies) under this lock.
        for (Connection& connection : connections_) connection.stop();
        drained = !detached_ && connections_.empty();
    }
    if (drained) on_drained_();
}

void ConnectionRegistry::detach() {
    std::lock_guard lock(mutex_);
    detached_ = true;
}

} // namespace pb::threadpool
