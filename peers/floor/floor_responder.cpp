// The floor peer: the least a process can do to answer HTTP on this kernel.
// It parses nothing: every "\r\n\r\n" it reads is one request, answered with
// one fixed response. It has no wait, no counters, no respawn, no drain, and
// it drops what the socket will not take at once (see answer()): a floor to
// measure servers against, not a server. Only libc and POSIX, so that
// nothing of ours sits between the syscalls.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr int max_workers = 1024;
constexpr int max_connections = 1 << 20; // fds above this (or RLIMIT_NOFILE) are closed at once

char in_buffer[64 * 1024];   // one per worker (after fork): every connection reads into it
char out_buffer[64 * 1024];  // as many copies of the response as fit, rebuilt once a second
std::size_t response_size = 0, out_bytes = 0;
unsigned char* match_state = nullptr; // per fd: how much of "\r\n\r\n" the last read ended in

[[noreturn]] void fail(const char* call, const char* argument) {
    std::fprintf(stderr, "floor-responder: %s(%s): %s\n", call, argument, std::strerror(errno));
    std::exit(1);
}

[[noreturn]] void usage_error(const char* flag, const char* what, const char* got) {
    std::fprintf(stderr, "floor-responder: %s: %s, got '%s'\n", flag, what, got ? got : "nothing");
    std::exit(2);
}

long number(const char* flag, const char* text, long low, long high, const char* expected) {
    char* end = nullptr;
    errno = 0;
    const long value = text ? std::strtol(text, &end, 10) : 0;
    if (!text || *text == '\0' || *end != '\0' || errno != 0 || value < low || value > high)
        usage_error(flag, expected, text);
    return value;
}

// Every copy carries the same Date, so a batch of answers is one slice of
// out_buffer and costs no copying at all.
void build_responses(time_t now) {
    char date[64];
    tm parts{};
    gmtime_r(&now, &parts);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &parts); // C locale: IMF-fixdate
    char one[256];
    const int size = std::snprintf(one, sizeof one,
                                   "HTTP/1.1 200 OK\r\nServer: floor\r\nDate: %s\r\nContent-Type: text/plain\r\n"
                                   "Content-Length: 13\r\n\r\nHello, World!", date);
    response_size = static_cast<std::size_t>(size);
    out_bytes = sizeof out_buffer / response_size * response_size;
    for (std::size_t at = 0; at < out_bytes; at += response_size) std::memcpy(out_buffer + at, one, response_size);
}

// Terminators in [data, data + size), resuming from *state bytes of one
// matched by the previous read, so that one split across reads counts once.
long count_terminators(const char* data, long size, unsigned char* state) {
    static const char terminator[] = "\r\n\r\n";
    long found = 0;
    unsigned s = *state;
    for (long i = 0; i < size; ++i) {
        if (data[i] == terminator[s]) {
            if (++s == 4) ++found, s = 0;
        } else {
            s = data[i] == '\r' ? 1 : 0; // the only prefix a mismatch can leave is a lone '\r'
        }
    }
    *state = static_cast<unsigned char>(s);
    return found;
}

// `count` responses, in as few sends as the buffer allows. Returns false when
// the connection must close: on an error, or when the socket is full, since a
// floor keeps no per-connection output queue (wrk keeps one request in
// flight per connection, far below a socket buffer; a client that pipelines
// more than the socket holds and reads nothing loses the rest).
bool answer(int fd, long count) {
    std::size_t left = static_cast<std::size_t>(count) * response_size, sent = 0;
    while (left > 0) {
        const std::size_t start = sent % response_size; // out_buffer repeats: resume mid-copy
        const std::size_t size = left < out_bytes - start ? left : out_bytes - start;
        const ssize_t n = send(fd, out_buffer + start, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false; // EAGAIN included: the rest is dropped
        sent += static_cast<std::size_t>(n), left -= static_cast<std::size_t>(n);
    }
    return true;
}

// Reads what there is and answers it. Returns false when the connection is over.
bool serve(int fd, bool peer_closed) {
    long requests = 0;
    for (;;) {
        const ssize_t n = recv(fd, in_buffer, sizeof in_buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0) return false; // reset: nobody to answer
        if (n == 0) {            // a client that half-closed still gets its answers
            if (requests > 0) answer(fd, requests);
            return false;
        }
        requests += count_terminators(in_buffer, n, &match_state[fd]);
        // A short read drained the socket (epoll(7)); the recv that would say
        // EAGAIN is saved, unless the peer's FIN is pending and must be read.
        if (static_cast<std::size_t>(n) < sizeof in_buffer && !peer_closed) break;
    }
    return requests == 0 || answer(fd, requests);
}

[[noreturn]] void run_worker(int listener, int connections) {
    const int epoll = epoll_create1(EPOLL_CLOEXEC);
    if (epoll < 0) fail("epoll_create1", "EPOLL_CLOEXEC");
    epoll_event event{EPOLLIN | EPOLLET, {.fd = listener}};
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event) != 0) fail("epoll_ctl", "the listener");
    epoll_event events[256];
    time_t built = 0;
    for (;;) {
        const int ready = epoll_wait(epoll, events, 256, -1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) fail("epoll_wait", "the worker's epoll");
        if (const time_t now = time(nullptr); now != built) build_responses(built = now);
        for (int i = 0; i < ready; ++i) {
            const int fd = events[i].data.fd;
            if (fd != listener) {
                if (!serve(fd, events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) close(fd);
                continue;
            }
            for (;;) { // edge-triggered: take every pending connection
                const int client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (client < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                if (client < 0 && (errno == EINTR || errno == ECONNABORTED)) continue;
                if (client < 0) fail("accept4", "the listener"); // EMFILE: loud, not a spin
                const int on = 1; // responses are small writes: Nagle would hold back the next batch
                if (client >= connections || setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) {
                    close(client);
                    continue;
                }
                match_state[client] = 0;
                epoll_event client_event{EPOLLIN | EPOLLRDHUP | EPOLLET, {.fd = client}};
                if (epoll_ctl(epoll, EPOLL_CTL_ADD, client, &client_event) != 0) fail("epoll_ctl", "a connection");
            }
        }
    }
}

// One SO_REUSEPORT listener; port 0 picks a free port for the first one.
int open_listener(int* port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket", "AF_INET, SOCK_STREAM");
    const int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) fail("setsockopt", "SO_REUSEADDR");
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) fail("setsockopt", "SO_REUSEPORT");
    char where[32];
    std::snprintf(where, sizeof where, "127.0.0.1:%d", *port);
    sockaddr_in address{AF_INET, htons(static_cast<uint16_t>(*port)), {htonl(INADDR_LOOPBACK)}, {}};
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind", where);
    if (listen(fd, 4096) != 0) fail("listen", where); // our servers' default backlog
    socklen_t size = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) fail("getsockname", where);
    *port = ntohs(address.sin_port);
    return fd;
}

} // namespace

int main(int argc, char** argv) {
    int port = -1;
    long workers = sysconf(_SC_NPROCESSORS_ONLN);
    workers = workers < 1 ? 1 : workers > max_workers ? max_workers : workers;
    for (int i = 1; i < argc; i += 2) { // every flag but --help takes a value
        const char* flag = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (std::strcmp(flag, "--help") == 0) {
            std::printf("usage: floor-responder --port N [--workers N] [--delay 0]\n"
                        "  --port N     127.0.0.1:N, one SO_REUSEPORT listener per worker (0: a free port)\n"
                        "  --workers N  worker processes (default: the online CPUs)\n"
                        "  --delay 0    accepted for the harness's @delay@; any wait is refused (exit 2)\n");
            return 0;
        }
        if (std::strcmp(flag, "--port") == 0) port = static_cast<int>(number(flag, value, 0, 65535, "expected a port 0-65535"));
        else if (std::strcmp(flag, "--workers") == 0) workers = number(flag, value, 1, max_workers, "expected 1-1024 workers");
        else if (std::strcmp(flag, "--delay") == 0) {
            // It cannot wait: a scenario with a delay must fail here, not measure something else.
            if (!value || std::strcmp(value, "0") != 0) usage_error(flag, "the floor has no wait, only 0 is accepted", value);
        } else usage_error(flag, "unknown flag (--port, --workers, --delay, --help)", flag);
    }
    if (port < 0) usage_error("--port", "required", nullptr);

    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) != 0) fail("getrlimit", "RLIMIT_NOFILE");
    const int connections = files.rlim_cur < static_cast<rlim_t>(max_connections) ? static_cast<int>(files.rlim_cur)
                                                                                  : max_connections;
    match_state = static_cast<unsigned char*>(std::calloc(static_cast<std::size_t>(connections), 1));
    if (!match_state) fail("calloc", "the per-connection match states");

    // Signals wait in the mask until sigwaitinfo takes them, so none is lost
    // between the forks; the workers get the default mask back.
    sigset_t signals, old_mask;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM), sigaddset(&signals, SIGINT), sigaddset(&signals, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &signals, &old_mask) != 0) fail("sigprocmask", "SIG_BLOCK");

    // Every listener exists before the ready line, so a bind error is the
    // master's exit status and "ready" means the port answers.
    int listeners[max_workers];
    pid_t pids[max_workers];
    for (long w = 0; w < workers; ++w) listeners[w] = open_listener(&port);
    const pid_t master = getpid();
    for (long w = 0; w < workers; ++w) {
        pids[w] = fork();
        if (pids[w] < 0) fail("fork", "a worker"); // those forked so far die with the master
        if (pids[w] > 0) continue;
        if (sigprocmask(SIG_SETMASK, &old_mask, nullptr) != 0) fail("sigprocmask", "SIG_SETMASK");
        // The worker dies with the master even on SIGKILL; getppid closes the
        // race of a master that died before prctl.
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) fail("prctl", "PR_SET_PDEATHSIG");
        if (getppid() != master) _exit(0);
        for (long k = 0; k < workers; ++k)
            if (k != w) close(listeners[k]);
        run_worker(listeners[w], connections);
    }
    // Only the workers hold the listeners: one that dies takes its own away.
    for (long w = 0; w < workers; ++w) close(listeners[w]);
    // The ready line of our servers (common/ready_line.hpp), for the tests;
    // the harness waits for the port instead. Nothing else goes to stdout.
    std::printf("ready model=floor listen=127.0.0.1:%d pid=%d workers=%ld\n", port, static_cast<int>(master), workers);
    if (std::fflush(stdout) != 0) fail("fflush", "stdout");

    // SIGTERM/SIGINT: stop the workers, exit 0. A worker that dies on its
    // own ends the floor with status 1: nothing respawns it.
    int exit_code = 0;
    for (;;) {
        siginfo_t info{};
        if (sigwaitinfo(&signals, &info) < 0) {
            if (errno == EINTR) continue;
            fail("sigwaitinfo", "SIGTERM, SIGINT, SIGCHLD");
        }
        if (info.si_signo != SIGCHLD) break;
        int status = 0;
        const pid_t dead = waitpid(-1, &status, WNOHANG);
        if (dead <= 0) continue;
        std::fprintf(stderr, "floor-responder: worker %d %s %d\n", static_cast<int>(dead),
                     WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
                     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        for (long w = 0; w < workers; ++w)
            if (pids[w] == dead) pids[w] = 0; // reaped: its pid may belong to someone else now
        exit_code = 1;
        break;
    }
    for (long w = 0; w < workers; ++w)
        if (pids[w] > 0) kill(pids[w], SIGTERM);
    while (waitpid(-1, nullptr, 0) > 0) {
    }
    return exit_code;
}
