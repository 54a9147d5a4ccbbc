#pragma once
// The idle connections of one load thread, each request taking one drawn
// uniformly at random: the experiment's model. A stack (the connection
// answered last goes first) would put nearly every request of a light load
// on one connection, so on one worker of a server whose workers each own the
// connections they accepted (prefork, SO_REUSEPORT), and leave the others
// to the server's idle timeout. Taking swaps the drawn one with the last and
// pops it: O(1), and no allocation once reserved. The engine is seeded by
// the caller (from --seed), so that a run's draws are reproducible.
#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace pb::load {

// Uniform in [0, n), n > 0: an engine output below 2^64 mod n is drawn again,
// so that the rest divides evenly into n classes (exact, unlike a bare
// modulo). Our own transform, as the std::*_distribution classes may differ
// between standard libraries; the expected number of outputs is below 2.
std::size_t uniform_below(std::mt19937_64& engine, std::size_t n);

template <typename T>
class IdleSet {
public:
    explicit IdleSet(std::uint64_t seed) : engine_(seed) {}

    // Room for every connection: push() then never allocates.
    void reserve(std::size_t capacity) { items_.reserve(capacity); }
    bool empty() const { return items_.empty(); }
    std::size_t size() const { return items_.size(); }
    std::size_t capacity() const { return items_.capacity(); }
    void push(T* item) { items_.push_back(item); }

    // Removes one drawn uniformly at random and returns it; not when empty.
    T* take() {
        std::swap(items_[uniform_below(engine_, items_.size())], items_.back());
        T* item = items_.back();
        items_.pop_back();
        return item;
    }

    // Removes `item` if it is here (a connection the server closed while idle).
    void remove(const T* item) {
        for (T*& slot : items_)
            if (slot == item) {
                slot = items_.back();
                items_.pop_back();
                return;
            }
    }

    void clear() { items_.clear(); }

private:
    std::mt19937_64 engine_;
    std::vector<T*> items_;
};

} // namespace pb::load
