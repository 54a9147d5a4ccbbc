#include "load/schedule_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

#include "common/fd.hpp"
#include "common/system_error.hpp"

namespace pb::load {
namespace {

// Records are encoded into this much at a time: few write(2) calls, little memory.
constexpr std::size_t chunk_records = 4096;

// Little-endian whatever the host's order, as the format says.
char* put_le(char* out, std::uint64_t value, std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i) *out++ = static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}

std::array<char, schedule_header_size> header(std::size_t count, std::int64_t warmup_ns, std::int64_t length_ns) {
    std::array<char, schedule_header_size> bytes{};
    char* at = bytes.data();
    std::memcpy(at, schedule_file_magic.data(), schedule_file_magic.size());
    at += schedule_file_magic.size();
    at = put_le(at, schedule_file_version, 4);
    at = put_le(at, schedule_record_size, 4);
    at = put_le(at, count, 8);
    at = put_le(at, static_cast<std::uint64_t>(warmup_ns), 8);
    put_le(at, static_cast<std::uint64_t>(length_ns), 8);
    return bytes;
}

// 0, or the errno of a write(2) that failed.
int write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return 0;
}

// 0, or the errno of the first call that failed; `call` names it.
int write_records(int fd, const std::vector<PlannedRequest>& schedule, std::int64_t warmup_ns, std::int64_t length_ns,
                  const char*& call) {
    call = "write";
    const auto head = header(schedule.size(), warmup_ns, length_ns);
    if (const int error = write_all(fd, head.data(), head.size()); error != 0) return error;
    std::vector<char> chunk(chunk_records * schedule_record_size);
    for (std::size_t first = 0; first < schedule.size(); first += chunk_records) {
        const std::size_t count = std::min(chunk_records, schedule.size() - first);
        char* at = chunk.data();
        for (std::size_t i = first; i < first + count; ++i) {
            at = put_le(at, static_cast<std::uint64_t>(schedule[i].send_at_ns), 8);
            at = put_le(at, schedule[i].work_us, 4);
            at = put_le(at, schedule[i].delay_us, 4);
        }
        if (const int error = write_all(fd, chunk.data(), count * schedule_record_size); error != 0) return error;
    }
    return 0;
}

} // namespace

void write_schedule_file(const std::filesystem::path& file, const std::vector<PlannedRequest>& schedule,
                         std::int64_t warmup_ns, std::int64_t length_ns) {
    const std::string temporary = file.string() + ".tmp";
    Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw_system_error("open", temporary);
    const char* call = "";
    int error = write_records(fd.get(), schedule, warmup_ns, length_ns, call);
    // close(2) is where a full disk may first show on some file systems.
    if (error == 0 && ::close(fd.release()) != 0) {
        error = errno;
        call = "close";
    }
    if (error != 0) {
        ::unlink(temporary.c_str());
        throw_system_error(call, temporary, error);
    }
    if (std::rename(temporary.c_str(), file.c_str()) != 0) {
        error = errno;
        ::unlink(temporary.c_str());
        throw_system_error("rename", temporary + " -> " + file.string(), error);
    }
}

} // namespace pb::load
