#pragma once
// Memory that ends right before a PROT_NONE page: reading or writing one byte
// past the end faults at once, with or without ASan, which is how the parser
// and formatter tests catch over-reads and over-writes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string_view>

class GuardedBuffer {
public:
    explicit GuardedBuffer(std::size_t capacity) {
        const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        usable_ = (capacity + page - 1) / page * page;
        if (usable_ == 0) usable_ = page;
        mapped_ = usable_ + page;
        void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
        base_ = static_cast<char*>(p);
        if (mprotect(base_ + usable_, page, PROT_NONE) != 0) {
            munmap(base_, mapped_);
            throw std::runtime_error("mprotect failed");
        }
    }
    ~GuardedBuffer() { munmap(base_, mapped_); }
    GuardedBuffer(const GuardedBuffer&) = delete;
    GuardedBuffer& operator=(const GuardedBuffer&) = delete;

    // Copies `bytes` so that the last one sits right before the guard page.
    std::string_view place(std::string_view bytes) {
        std::span<char> to = tail(bytes.size());
        if (!bytes.empty()) std::memcpy(to.data(), bytes.data(), bytes.size());
        return {to.data(), to.size()};
    }

    // The last `size` writable bytes.
    std::span<char> tail(std::size_t size) {
        if (size > usable_) throw std::length_error("GuardedBuffer too small");
        return {base_ + usable_ - size, size};
    }

private:
    char* base_ = nullptr;
    std::size_t usable_ = 0;
    std::size_t mapped_ = 0;
};
