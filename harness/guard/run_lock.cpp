#include "guard/run_lock.hpp"

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "common/file_text.hpp"
#include "common/system_error.hpp"

namespace pb::harness {
namespace {

using namespace std::chrono_literals;

// How often a waiting harness tries again. Polled rather than a blocking
// flock, so that a Ctrl-C is seen whenever it arrives (a signal before the
// blocking call would be lost).
constexpr auto wait_step = 100ms;

bool try_lock(int fd, const std::filesystem::path& file) {
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) return false;
        if (errno != EINTR) throw_system_error("flock", file.string());
    }
    return true;
}

// Replaces the file's text with `holder`, for a waiter to read.
void write_holder(int fd, const std::filesystem::path& file, const std::string& holder) {
    const std::string line = fmt::format("{} (holds the lock since {:%Y-%m-%d %H:%M:%S} UTC)\n", holder,
                                         fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
    if (::ftruncate(fd, 0) != 0) throw_system_error("ftruncate", file.string());
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
    // The file may be another user's (a sudo run and a plain one): flock works
    // on a descriptor opened for reading only; then the holder goes unwritten.
    // A new file is made writable for all, so that every user can say who he is.
    bool writable = true;
    fd_.reset(::open(file.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd_ && errno == ENOENT) {
        fd_.reset(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666));
        if (fd_) ::fchmod(fd_.get(), 0666); // past the umask; a failure only keeps others from writing
    }
    if (!fd_ && (errno == EACCES || errno == EPERM)) {
        writable = false;
        fd_.reset(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    }
    if (!fd_) throw_system_error("open", file.string());
    if (!try_lock(fd_.get(), file)) {
        const std::string other = lock_holder(file);
        if (wait == Wait::no)
            throw std::runtime_error(fmt::format("another harness holds {} ({}); --no-wait refuses to wait", file.string(), other));
        if (on_wait) on_wait(other);
        while (!try_lock(fd_.get(), file)) {
            if (interrupted.load()) throw std::runtime_error("interrupted while waiting for " + file.string());
            std::this_thread::sleep_for(wait_step);
        }
    }
    if (writable) write_holder(fd_.get(), file, holder);
}

} // namespace pb::harness
