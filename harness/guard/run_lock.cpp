#include "guard/run_lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <stdexcept>
#include <sys/file.h>
#include <unistd.h>

#include "common/file_text.hpp"
#include "common/system_error.hpp"

namespace pb::harness {
namespace {

bool try_lock(int fd, const std::filesystem::path& file) {
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) return false;
        if (errno != EINTR) throw_system_error("flock", file.string());
    }
    return true;
}

// Replaces the file's text with `holder`, for a waiter to read.
void write_holder(int fd, const std::filesystem::path& file, const std::string& holder) {
    if (::ftruncate(fd, 0) != 0) throw_system_error("ftruncate", file.string());
    const std::string line = holder + "\n";
    if (::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size()))
        throw_system_error("pwrite", file.string());
}

} // namespace

std::filesystem::path default_lock_file() {
    if (const char* set = std::getenv("PREFORK_BENCH_LOCK"); set != nullptr && *set != '\0') return set;
    if (::access("/run/lock", W_OK) == 0) return "/run/lock/prefork-bench.lock";
    return "/tmp/prefork-bench.lock";
}

std::string lock_holder(const std::filesystem::path& file) {
    std::string text = read_whole_file(file).value_or("");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
    return text.empty() ? "unknown" : text;
}

RunLock::RunLock(const std::filesystem::path& file, Wait wait, const std::string& holder,
                 const std::function<void(const std::string&)>& on_wait, const std::atomic<bool>& interrupted) {
    // Readable by all: a waiter of another user can still say for whom it waits.
    fd_.reset(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_) throw_system_error("open", file.string());
    if (!try_lock(fd_.get(), file)) {
        const std::string other = lock_holder(file);
        if (wait == Wait::no)
            throw std::runtime_error(fmt::format("another harness holds {} ({}); --no-wait refuses to wait", file.string(), other));
        if (on_wait) on_wait(other);
        // A blocking flock: the harness's SIGINT and SIGTERM handlers have no
        // SA_RESTART, so a Ctrl-C ends the call with EINTR.
        while (::flock(fd_.get(), LOCK_EX) != 0) {
            if (errno != EINTR) throw_system_error("flock", file.string());
            if (interrupted.load()) throw std::runtime_error("interrupted while waiting for " + file.string());
        }
    }
    write_holder(fd_.get(), file, holder);
}

} // namespace pb::harness
