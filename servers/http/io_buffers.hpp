#pragma once
// What a connection needs only while it is busy: the input buffer its
// HttpSession parses, the batch of replies being answered and the bytes of
// their responses. One block per busy connection, from a BufferPool.
#include <cstddef>
#include <span>

#include "http/http_session.hpp"
#include "http/reply_batch.hpp"

namespace pb {

struct IoBuffers {
    // Pages are touched only as far as they are written: a small request and
    // its response make two or three of the block's pages resident.
    char output[ReplyBatch::output_size];
    ReplyBatch batch;
    alignas(64) char input[HttpSession::buffer_size];

    std::span<char> input_span() { return input; }
    std::span<char> output_span() { return output; }
};

} // namespace pb
