#pragma once
// The buffers of busy connections. A connection takes a block when bytes
// arrive and gives it back once it holds no buffered bytes and no unsent
// response (the epoll loops at once, the threadpool after park_after), so
// an idle keep-alive connection costs no buffer memory (nginx does the
// same). Blocks come from mmap so that trimming really hands
// the pages back: the pool keeps what the recent peak needed, and trim()
// releases the blocks that stayed unused for a whole trim interval.
#include <cstddef>
#include <mutex>

#include "http/io_buffers.hpp"

namespace pb {

// One worker's pool: not thread-safe.
class BufferPool {
public:
    BufferPool() = default;
    ~BufferPool();
    BufferPool(const BufferPool&) = delete;
    BufferPool& operator=(const BufferPool&) = delete;

    // A block, or nullptr when the system has no memory for one (the caller
    // closes the connection: one client fewer, not a dead worker).
    IoBuffers* take();
    void give(IoBuffers* buffers);

    // Call every few hundred milliseconds: releases the blocks that sat in
    // the pool since the previous call.
    void trim();

    std::size_t pooled() const { return pooled_; }
    std::size_t in_use() const { return in_use_; }

private:
    struct FreeBlock {
        FreeBlock* next;
    };

    FreeBlock* free_ = nullptr;
    std::size_t pooled_ = 0;
    std::size_t low_water_ = 0; // fewest pooled since the previous trim
    std::size_t in_use_ = 0;
};

// The same behind a mutex, for the thread-pool model whose connections move
// between threads. Taken when a connection starts or stops being idle (and
// then held for a few pointer operations, or an mmap when the pool is
// empty), and by the trim timer; never per request of a busy connection.
class SharedBufferPool {
public:
    IoBuffers* take() {
        std::lock_guard lock(mutex_);
        return pool_.take();
    }
    void give(IoBuffers* buffers) {
        std::lock_guard lock(mutex_);
        pool_.give(buffers);
    }
    void trim() {
        std::lock_guard lock(mutex_);
        pool_.trim();
    }

private:
    std::mutex mutex_;
    BufferPool pool_;
};

} // namespace pb
