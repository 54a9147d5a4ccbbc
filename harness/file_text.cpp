#include "file_text.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "core/socket.hpp"

namespace pb::harness {

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

} // namespace pb::harness
