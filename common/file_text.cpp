#include "common/file_text.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include "common/fd.hpp"
#include "common/system_error.hpp"

namespace pb {

std::optional<std::string> read_whole_file(const std::filesystem::path& file) {
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    std::string text;
    char buffer[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n == 0) return text;
        if (n > 0) text.append(buffer, static_cast<std::size_t>(n));
        else if (errno != EINTR) return std::nullopt;
    }
}

namespace {

// 0 or the errno of the first failing call.
int write_all(const std::string& path, std::string_view content, const char*& call) {
    call = "open";
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return errno;
    call = "write";
    while (!content.empty()) {
        const ssize_t n = ::write(fd.get(), content.data(), content.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        content.remove_prefix(static_cast<std::size_t>(n));
    }
    call = "close";
    return ::close(fd.release()) == 0 ? 0 : errno;
}

} // namespace

void write_file_atomically(const std::filesystem::path& file, std::string_view content) {
    const std::string temporary = file.string() + ".tmp";
    const char* call = "";
    if (const int error = write_all(temporary, content, call); error != 0) {
        ::unlink(temporary.c_str());
        throw_system_error(call, temporary, error);
    }
    if (std::rename(temporary.c_str(), file.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        throw_system_error("rename", temporary + " -> " + file.string(), error);
    }
}

} // namespace pb
