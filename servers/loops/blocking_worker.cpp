#include "loops/blocking_worker.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <memory>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "http/date_cache.hpp"
#include "http/http_session.hpp"
#include "http/io_buffers.hpp"
#include "http/reply_batch.hpp"
#include "http/response.hpp"
#include "common/signals.hpp"
#include "stats/accept_error_log.hpp"
#include "stats/allocation_count.hpp"
#include "common/socket.hpp"
#include "common/system_error.hpp"

namespace pb {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

void take_stop_signals() {
    struct sigaction action{};
    action.sa_handler = request_stop; // no SA_RESTART: blocking calls return EINTR
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    unblock_signals({SIGTERM, SIGINT});
}

// The request's wait: the whole process sleeps, as an Apache prefork child
// would. A stop signal does not cut it short: the request is in flight.
void sleep_through(std::chrono::nanoseconds delay) {
    timespec left{static_cast<time_t>(delay.count() / 1'000'000'000), static_cast<long>(delay.count() % 1'000'000'000)};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

bool send_all(int fd, const char* data, std::size_t size, WorkerCounters& counters) {
    while (size > 0) {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        counters.bytes_out += static_cast<std::uint64_t>(n);
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// Readable within `timeout`? Waits in short slices to notice a stop request.
enum class Wait { readable, timed_out, stopping };

Wait wait_readable(int fd, Clock::time_point deadline, bool stop_matters) {
    for (;;) {
        if (stop_matters && stop_requested) return Wait::stopping;
        auto now = Clock::now();
        if (now >= deadline) return Wait::timed_out;
        auto slice = std::min<Clock::duration>(deadline - now, stop_check_interval);
        pollfd p{fd, POLLIN, 0};
        int rc = poll(&p, 1, static_cast<int>(std::chrono::duration_cast<milliseconds>(slice).count()) + 1);
        if (rc > 0) return Wait::readable;
        if (rc < 0 && errno != EINTR) return Wait::timed_out;
    }
}

class Worker {
public:
    Worker(const BlockingWorkerConfig& config, WorkerCounters& counters)
        : config_(config), counters_(counters), io_(new IoBuffers) {
        // One connection at a time: the worker's one block, never pooled.
        session_.attach(io_->input_span());
    }

    int run(const std::function<void()>& ready);

private:
    int accept_one();
    void serve(int fd);
    bool read_more(int fd, Clock::time_point deadline, bool idle);
    void linger_close(int fd);

    const BlockingWorkerConfig& config_;
    WorkerCounters& counters_;
    std::unique_ptr<IoBuffers> io_; // default-initialised: the buffers are not zeroed
    HttpSession session_;
    AcceptErrorLog accept_log_{"worker"};
    DateCache date_;
};

int Worker::run(const std::function<void()>& ready) {
    counters_.pid = getpid();
    count_allocations_in(&counters_.allocations);
    accept_log_ = AcceptErrorLog("worker " + std::to_string(getpid()));
    std::signal(SIGPIPE, SIG_IGN);
    take_stop_signals();
    ready();
    while (!stop_requested) {
        int fd = accept_one();
        if (fd < 0) continue;
        ++counters_.connections;
        serve(fd);
    }
    return 0;
}

// Takes the accept mutex, accepts at most one connection, lets go.
int Worker::accept_one() {
    if (!config_.accept_mutex->lock_for(stop_check_interval)) return -1;
    int fd = accept4(config_.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    int error = errno;
    config_.accept_mutex->unlock();
    if (fd >= 0) {
        enable_no_delay(fd); // as in every model
        return fd;
    }
    if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        ++counters_.accept_errors;
        accept_log_.note(error);
        std::this_thread::sleep_for(milliseconds(100)); // back off instead of spinning
    }
    return -1; // EAGAIN (SO_RCVTIMEO), EINTR, ECONNABORTED: try again
}

// Waits for more of the request: an idle connection waits up to the idle
// timeout and closes at a stop request; a started request has until its
// header deadline. False when the connection is over.
bool Worker::read_more(int fd, Clock::time_point deadline, bool idle) {
    Wait wait = wait_readable(fd, deadline, idle);
    if (wait == Wait::stopping) return false;
    if (wait == Wait::timed_out) {
        ++counters_.timeouts;
        if (!idle) {
            ReplyBatch& batch = io_->batch;
            batch.only(reject(Status::request_timeout));
            std::size_t size = format_batch(batch, date_.now(), io_->output_span());
            if (send_all(fd, io_->output, size, counters_)) count_sent(batch, counters_);
        }
        return false;
    }
    std::span<char> space = session_.free_space();
    ssize_t n = recv(fd, space.data(), space.size(), 0);
    if (n <= 0) return n < 0 && errno == EINTR;
    session_.received(static_cast<std::size_t>(n));
    counters_.bytes_in += static_cast<std::uint64_t>(n);
    return true;
}

void Worker::serve(int fd) {
    session_.reset();
    auto started = Clock::now();
    // No byte yet since accept: the header timeout runs from accept, and at
    // its end the connection closes without a reply (nginx's way).
    bool silent = config_.header_timeout > std::chrono::nanoseconds::zero();
    ReplyBatch& batch = io_->batch;
    for (;;) {
        batch.clear();
        if (collect_replies(session_, config_.handler, counters_, batch) == 0) {
            bool idle = !session_.mid_request();
            if (idle && !silent) started = Clock::now();
            auto timeout = silent ? config_.header_timeout : idle ? config_.idle_timeout : config_.header_timeout;
            auto deadline = timeout > std::chrono::nanoseconds::zero() ? started + timeout : Clock::time_point::max();
            if (!read_more(fd, deadline, idle)) break;
            if (idle) started = Clock::now(); // the header clock starts at a request's first bytes
            if (session_.holds_bytes()) silent = false; // not after a wait cut short by a signal
            continue;
        }
        // A pipelined batch waits once (its longest delay) and leaves in one
        // write, as in every model.
        if (batch.waits()) sleep_through(batch.delay());
        if (stop_requested) close_after(batch);
        std::size_t size = format_batch(batch, date_.now(), io_->output_span());
        if (!send_all(fd, io_->output, size, counters_)) break;
        count_sent(batch, counters_); // only what reached the socket counts
        if (batch.closes()) return linger_close(fd);
        started = Clock::now();
    }
    close(fd);
}

// See epoll_worker.cpp: close() with unread input would reset the connection
// and could destroy the response just sent.
void Worker::linger_close(int fd) {
    shutdown(fd, SHUT_WR);
    char sink[4096];
    const auto deadline = Clock::now() + milliseconds(1000);
    while (wait_readable(fd, deadline, false) == Wait::readable) {
        ssize_t n = recv(fd, sink, sizeof sink, 0);
        if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    close(fd);
}

} // namespace

int run_blocking_worker(const BlockingWorkerConfig& config, WorkerCounters& counters,
                        const std::function<void()>& ready) {
    return Worker(config, counters).run(ready);
}

} // namespace pb
