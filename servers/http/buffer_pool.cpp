#include "http/buffer_pool.hpp"

#include <algorithm>
#include <new>
#include <sys/mman.h>

namespace pb {

BufferPool::~BufferPool() {
    while (free_ != nullptr) {
        FreeBlock* next = free_->next;
        ::munmap(free_, sizeof(IoBuffers));
        free_ = next;
    }
}

IoBuffers* BufferPool::take() {
    IoBuffers* buffers = nullptr;
    if (free_ != nullptr) {
        FreeBlock* block = free_;
        free_ = block->next;
        --pooled_;
        low_water_ = std::min(low_water_, pooled_);
        buffers = reinterpret_cast<IoBuffers*>(block);
    } else {
        // Fresh pages are zero and untouched: only what a connection writes
        // into becomes resident.
        void* memory = ::mmap(nullptr, sizeof(IoBuffers), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) return nullptr;
        buffers = new (memory) IoBuffers; // writes only the batch's replies: one page
    }
    buffers->batch.clear();
    ++in_use_;
    return buffers;
}

void BufferPool::give(IoBuffers* buffers) {
    if (buffers == nullptr) return;
    --in_use_;
    auto* block = reinterpret_cast<FreeBlock*>(buffers);
    block->next = free_;
    free_ = block;
    ++pooled_;
}

void BufferPool::trim() {
    // The low-water mark is how many blocks nobody needed during the whole
    // interval; at steady state it is near zero and nothing churns. Which
    // blocks go does not matter, only how many.
    for (std::size_t i = 0; i < low_water_ && free_ != nullptr; ++i) {
        FreeBlock* block = free_;
        free_ = block->next;
        --pooled_;
        ::munmap(block, sizeof(IoBuffers));
    }
    low_water_ = pooled_;
}

} // namespace pb
