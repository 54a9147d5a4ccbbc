#include "remote/ssh_session.hpp"

#include <sys/wait.h>

#include <fmt/format.h>
#include <stdexcept>
#include <thread>

#include "common/file_text.hpp"
#include "common/program_path.hpp"
#include "remote/shell_words.hpp"

namespace pb::harness {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string ssh_program() {
    const std::optional<std::string> ssh = find_on_path("ssh");
    if (!ssh) throw std::runtime_error("ssh not found on PATH (Debian: openssh-client)");
    return *ssh;
}

// The last non-empty line of ssh's messages: what it says went wrong.
std::string last_words(const std::string& text) {
    std::string last;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(at, end - at);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty()) last = line;
        at = end + 1;
    }
    return last.empty() ? "no message" : last;
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

} // namespace

SshSession::SshSession(SshTarget target, SshSettings settings)
    : target_(std::move(target)), settings_(std::move(settings)) {
    static std::atomic<int> sessions{0};
    socket_ = settings_.control_dir / fmt::format("m{}", sessions++);
    ChildSpec spec;
    spec.argv = base(true);
    // No -M: with ControlMaster=yes it would be a second one, which makes the
    // master ask before every session (and refuse them all in BatchMode).
    spec.argv.insert(spec.argv.end(), {"-N", target_.destination()});
    spec.stdout_file = settings_.control_dir / (socket_.filename().string() + ".log");
    spec.stderr_file = spec.stdout_file;
    spec.die_with_parent = true;
    master_ = std::make_unique<ChildProcess>(spec);
    const auto deadline = Clock::now() + settings_.connect_timeout;
    while (!alive()) {
        if (master_->exited()) {
            const std::string log = read_whole_file(spec.stdout_file).value_or("");
            master_.reset();
            throw std::runtime_error(fmt::format("{}: cannot connect over SSH: {}", name(), last_words(log)));
        }
        if (Clock::now() >= deadline) {
            master_->kill_group();
            master_.reset();
            throw std::runtime_error(fmt::format("{}: no SSH connection within {} ms", name(), settings_.connect_timeout.count()));
        }
        std::this_thread::sleep_for(milliseconds(20));
    }
}

SshSession::~SshSession() {
    if (!master_) return;
    // -O exit closes the master's channels too; the PID is the backstop.
    if (alive()) capture_output([this] {
        auto argv = base(false);
        argv.insert(argv.end(), {"-O", "exit", target_.destination()});
        return argv;
    }(), true, milliseconds(5000));
    if (!master_->wait_for(milliseconds(2000))) master_->kill_group();
}

std::vector<std::string> SshSession::base(bool master) const {
    std::vector<std::string> argv = {ssh_program(), "-T", "-o", "BatchMode=yes", "-o", "ControlPath=" + socket_.string()};
    if (master) {
        // A host that stops answering ends the master within 15 s, and with it the run.
        argv.insert(argv.end(), {"-o", "ControlMaster=yes", "-o", "ControlPersist=no", "-o", "ServerAliveInterval=5",
                                 "-o", "ServerAliveCountMax=3",
                                 "-o", fmt::format("ConnectTimeout={}", std::max<long>(1, settings_.connect_timeout.count() / 1000))});
    } else {
        argv.insert(argv.end(), {"-o", "ControlMaster=no"});
    }
    if (target_.port != 0) argv.insert(argv.end(), {"-p", std::to_string(target_.port)});
    if (!settings_.identity.empty())
        argv.insert(argv.end(), {"-i", settings_.identity.string(), "-o", "IdentitiesOnly=yes"});
    for (const std::string& option : settings_.options) argv.insert(argv.end(), {"-o", option});
    return argv;
}

std::vector<std::string> SshSession::command(const std::vector<std::string>& remote_argv) const {
    std::vector<std::string> argv = base(false);
    // No "--" after the destination: ssh would send it as the first word of the command.
    argv.insert(argv.end(), {target_.destination(), shell_line(remote_argv)});
    return argv;
}

ChildSpec SshSession::channel(const std::vector<std::string>& remote_argv) const {
    ChildSpec spec;
    spec.argv = command(remote_argv);
    spec.stdin_pipe = true;
    spec.die_with_parent = true;
    return spec;
}

RemoteOutput SshSession::run(const std::vector<std::string>& remote_argv, milliseconds timeout) const {
    static std::atomic<int> runs{0};
    ChildSpec spec;
    // Ended there too when it overruns: sshd does not signal a command whose
    // channel closes. timeout(1) is coreutils', on every host we run on.
    std::vector<std::string> bounded = {"timeout", "-k", "5", fmt::format("{}", std::max<long>(1, timeout.count() / 1000))};
    bounded.insert(bounded.end(), remote_argv.begin(), remote_argv.end());
    spec.argv = command(bounded);
    spec.die_with_parent = true;
    spec.stderr_file = settings_.control_dir / fmt::format("run-{}.err", runs++);
    ChildProcess child(spec);
    const auto deadline = Clock::now() + timeout + std::chrono::seconds(10); // its own timeout first
    while (!child.output_ended() && Clock::now() < deadline) child.read_line(milliseconds(100));
    const bool ended = child.wait_for(std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now())));
    RemoteOutput out;
    out.err = read_whole_file(spec.stderr_file).value_or("");
    std::error_code ignored;
    std::filesystem::remove(spec.stderr_file, ignored);
    if (!ended) {
        child.kill_group();
        throw std::runtime_error(fmt::format("{}: `{}` did not end within {} ms", name(), shell_line(remote_argv), timeout.count()));
    }
    out.out = child.output();
    out.exit_status = exit_code(*child.wait_status());
    if (out.exit_status == 255)
        throw std::runtime_error(fmt::format("{}: ssh failed running `{}`: {}", name(), shell_line(remote_argv), last_words(out.err)));
    return out;
}

bool SshSession::alive() {
    if (!master_ || master_->exited()) return false;
    auto argv = base(false);
    argv.insert(argv.end(), {"-O", "check", target_.destination()});
    const std::optional<Captured> checked = capture_output(argv, true, milliseconds(5000));
    return checked && checked->exit_status == 0;
}

} // namespace pb::harness
