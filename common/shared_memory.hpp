#pragma once
// An anonymous MAP_SHARED mapping created by the master before fork, so the
// master and all its children see the same objects (counters, accept mutex).
#include <cstddef>
#include <new>
#include <span>

namespace pb {

class SharedMapping {
public:
    explicit SharedMapping(std::size_t bytes);
    ~SharedMapping();
    SharedMapping(const SharedMapping&) = delete;
    SharedMapping& operator=(const SharedMapping&) = delete;

    void* data() const { return data_; }
    std::size_t size() const { return size_; }

private:
    void* data_;
    std::size_t size_;
};

// `count` value-initialised objects of T in shared memory.
// Destroyed by the process that created it; forked children leave with
// _exit and never run the destructor.
template <class T>
class SharedArray {
public:
    explicit SharedArray(std::size_t count) : mapping_(count * sizeof(T)), count_(count) {
        for (std::size_t i = 0; i < count; ++i) new (get() + i) T{};
    }
    ~SharedArray() {
        for (std::size_t i = 0; i < count_; ++i) get()[i].~T();
    }
    SharedArray(const SharedArray&) = delete;
    SharedArray& operator=(const SharedArray&) = delete;
    T* get() const { return static_cast<T*>(mapping_.data()); }
    T& operator[](std::size_t i) const { return get()[i]; }
    std::span<T> span() const { return {get(), count_}; }

private:
    SharedMapping mapping_;
    std::size_t count_;
};

} // namespace pb
