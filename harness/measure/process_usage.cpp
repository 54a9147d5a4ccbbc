#include "measure/process_usage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>

#include "common/fd.hpp"
#include "common/file_text.hpp"
#include "common/numbers.hpp"
#include "common/system_error.hpp"

namespace pb::harness {

namespace {

// Processes and threads end while we read about them: that is a race every
// scan meets, not an error.
bool vanished(int error) { return error == ENOENT || error == ESRCH; }

// The whole of a /proc file; empty when its process or thread is gone.
std::optional<std::string> read_proc(const std::string& path) {
    std::optional<std::string> text = read_whole_file(path);
    if (!text && !vanished(errno)) throw_system_error("open or read", path);
    return text;
}

// The numeric entries of a /proc directory (pids or tids); empty when the
// directory's process is gone.
std::optional<std::vector<pid_t>> numeric_entries(const std::string& path) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
    if (!dir) {
        if (vanished(errno)) return std::nullopt;
        throw_system_error("opendir", path);
    }
    std::vector<pid_t> ids;
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(dir.get());
        if (entry == nullptr) {
            if (errno == 0) return ids;
            if (vanished(errno)) return std::nullopt;
            throw_system_error("readdir", path);
        }
        if (auto id = parse_number<pid_t>(entry->d_name)) ids.push_back(*id);
    }
}

struct StatFields {
    char state = '?';
    pid_t ppid = 0;
    std::uint64_t utime = 0, stime = 0;

    // A zombie has exited: it only waits for its parent to reap it.
    bool alive() const { return state != 'Z' && state != 'X'; }
};

// /proc/PID/stat. The command name (field 2) may hold spaces and
// parentheses, so the fields are counted from after the last ')'.
std::optional<StatFields> parse_stat(std::string_view text) {
    const std::size_t close = text.rfind(')');
    if (close == std::string_view::npos) return std::nullopt;
    std::vector<std::string_view> fields; // fields[0] is field 3, the state
    for (std::size_t at = close + 1; at < text.size();) {
        const std::size_t start = text.find_first_not_of(" \n", at);
        if (start == std::string_view::npos) break;
        const std::size_t end = std::min(text.find_first_of(" \n", start), text.size());
        fields.push_back(text.substr(start, end - start));
        at = end;
    }
    if (fields.size() < 13) return std::nullopt;
    auto ppid = parse_number<pid_t>(fields[1]);       // field 4
    auto utime = parse_number<std::uint64_t>(fields[11]); // field 14
    auto stime = parse_number<std::uint64_t>(fields[12]); // field 15
    if (!ppid || !utime || !stime || fields[0].empty()) return std::nullopt;
    return StatFields{fields[0][0], *ppid, *utime, *stime};
}

// The number on a "Key:\t123 kB" line of /proc/PID/status.
std::optional<std::uint64_t> status_value(std::string_view text, std::string_view key) {
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(at, end - at);
        at = end + 1;
        if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ':') continue;
        line.remove_prefix(key.size() + 1);
        const std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string_view::npos) return std::nullopt;
        line.remove_prefix(start);
        return parse_number<std::uint64_t>(line.substr(0, line.find(' ')));
    }
    return std::nullopt;
}

std::string proc_path(pid_t pid) { return "/proc/" + std::to_string(pid); }

std::optional<ThreadTimes> read_thread(pid_t pid, pid_t tid) {
    const std::string dir = proc_path(pid) + "/task/" + std::to_string(tid);
    const auto stat_text = read_proc(dir + "/stat");
    const auto status_text = read_proc(dir + "/status");
    if (!stat_text || !status_text) return std::nullopt;
    const auto stat = parse_stat(*stat_text);
    const auto voluntary = status_value(*status_text, "voluntary_ctxt_switches");
    const auto involuntary = status_value(*status_text, "nonvoluntary_ctxt_switches");
    if (!stat || !voluntary || !involuntary) return std::nullopt;
    // schedstat: "<ns on CPU> <ns waiting> <timeslices>" (CONFIG_SCHED_INFO).
    std::uint64_t runtime_ns = 0;
    if (const auto schedstat = read_proc(dir + "/schedstat"))
        runtime_ns = parse_number<std::uint64_t>(schedstat->substr(0, schedstat->find(' '))).value_or(0);
    return ThreadTimes{stat->utime, stat->stime, *voluntary, *involuntary, runtime_ns};
}

// Adds the process's threads and memory; false when it is already gone.
bool add_process(pid_t pid, TreeSnapshot& snapshot) {
    const auto tids = numeric_entries(proc_path(pid) + "/task");
    if (!tids) return false;
    bool found = false;
    for (pid_t tid : *tids) {
        if (auto times = read_thread(pid, tid)) {
            snapshot.threads[tid] = *times;
            ++snapshot.threads_count;
            found = true;
        }
    }
    if (!found) return false;
    ++snapshot.processes;
    // A zombie has no VmRSS line: it holds no memory.
    if (const auto status = read_proc(proc_path(pid) + "/status"))
        snapshot.rss_mib += static_cast<double>(status_value(*status, "VmRSS").value_or(0)) / 1024.0;
    return true;
}

ThreadTimes operator+(const ThreadTimes& a, const ThreadTimes& b) {
    return {a.user_ticks + b.user_ticks, a.system_ticks + b.system_ticks, a.voluntary + b.voluntary,
            a.involuntary + b.involuntary, a.runtime_ns + b.runtime_ns};
}

std::uint64_t increase(std::uint64_t from, std::uint64_t to) { return to > from ? to - from : 0; }

ThreadTimes increase(const ThreadTimes& from, const ThreadTimes& to) {
    return {increase(from.user_ticks, to.user_ticks), increase(from.system_ticks, to.system_ticks),
            increase(from.voluntary, to.voluntary), increase(from.involuntary, to.involuntary),
            increase(from.runtime_ns, to.runtime_ns)};
}

// Counters only grow while a thread lives, so going down means its id now
// belongs to a new thread.
bool went_down(const ThreadTimes& before, const ThreadTimes& now) {
    return now.user_ticks < before.user_ticks || now.system_ticks < before.system_ticks ||
           now.voluntary < before.voluntary || now.involuntary < before.involuntary ||
           now.runtime_ns < before.runtime_ns;
}

double ticks_per_second() {
    errno = 0;
    const long ticks = ::sysconf(_SC_CLK_TCK);
    if (ticks <= 0) throw_system_error("sysconf", "_SC_CLK_TCK", errno != 0 ? errno : EINVAL);
    return static_cast<double>(ticks);
}

// Running or sleeping, not gone and not a zombie (which the harness has not
// reaped yet: a server's main process that exited is gone all the same).
bool alive(pid_t pid) {
    const auto text = read_proc(proc_path(pid) + "/stat");
    const auto stat = text ? parse_stat(*text) : std::nullopt;
    return stat && stat->alive();
}

// /proc/PID/task/TID/children lists what each thread forked (Linux 3.5,
// CONFIG_PROC_CHILDREN); checked once.
bool children_files_exist() {
    static const bool exist = [] {
        const std::string self = "/proc/self/task/" + std::to_string(::gettid()) + "/children";
        return ::access(self.c_str(), R_OK) == 0;
    }();
    return exist;
}

// The children of every thread of `pid`; nothing when it is gone.
std::optional<std::vector<pid_t>> children_of(pid_t pid) {
    const auto tids = numeric_entries(proc_path(pid) + "/task");
    if (!tids) return std::nullopt;
    std::vector<pid_t> children;
    for (pid_t tid : *tids) {
        const auto text = read_proc(proc_path(pid) + "/task/" + std::to_string(tid) + "/children");
        if (!text) continue; // the thread ended meanwhile
        std::string_view rest = *text;
        while (!rest.empty()) {
            const std::size_t start = rest.find_first_not_of(' ');
            if (start == std::string_view::npos) break;
            rest.remove_prefix(start);
            const std::size_t end = std::min(rest.find(' '), rest.size());
            if (auto child = parse_number<pid_t>(rest.substr(0, end))) children.push_back(*child);
            rest.remove_prefix(end);
        }
    }
    return children;
}

// Without the children files: every process's ppid, from a scan of /proc.
std::vector<pid_t> forest_by_scan(const std::vector<pid_t>& roots) {
    const auto pids = numeric_entries("/proc");
    if (!pids) throw_system_error("opendir", "/proc", ENOENT);
    std::multimap<pid_t, pid_t> children; // by parent
    std::set<pid_t> living;
    for (pid_t pid : *pids) {
        const auto text = read_proc(proc_path(pid) + "/stat");
        const auto stat = text ? parse_stat(*text) : std::nullopt;
        if (!stat || !stat->alive()) continue;
        children.emplace(stat->ppid, pid);
        living.insert(pid);
    }
    std::vector<pid_t> forest;
    std::set<pid_t> found;
    for (pid_t root : roots) {
        if (!living.count(root) || !found.insert(root).second) continue;
        forest.push_back(root);
        for (std::size_t next = forest.size() - 1; next < forest.size(); ++next) {
            auto [first, last] = children.equal_range(forest[next]);
            for (auto it = first; it != last; ++it)
                if (found.insert(it->second).second) forest.push_back(it->second);
        }
    }
    return forest;
}

} // namespace

std::vector<pid_t> process_tree(pid_t root) { return process_forest({root}); }

std::vector<pid_t> process_forest(const std::vector<pid_t>& roots) {
    if (!children_files_exist()) return forest_by_scan(roots);
    std::vector<pid_t> forest;
    std::set<pid_t> found;
    for (pid_t root : roots) {
        if (found.count(root) || !alive(root)) continue; // seen, or gone
        found.insert(root);
        forest.push_back(root);
        // Breadth first from here; `forest` is the queue.
        for (std::size_t next = forest.size() - 1; next < forest.size(); ++next) {
            const std::optional<std::vector<pid_t>> children = children_of(forest[next]);
            if (!children) continue; // ended meanwhile
            for (pid_t child : *children)
                if (alive(child) && found.insert(child).second) forest.push_back(child);
        }
    }
    return forest;
}

TreeSnapshot snapshot_of(const std::vector<pid_t>& processes) {
    TreeSnapshot snapshot;
    for (pid_t pid : processes) add_process(pid, snapshot);
    return snapshot;
}

void UsageAccumulator::add(const TreeSnapshot& snapshot) {
    for (const auto& [tid, now] : snapshot.threads) {
        auto [it, first_seen] = threads_.try_emplace(tid);
        Thread& thread = it->second;
        if (first_seen) {
            thread.first = have_baseline_ ? ThreadTimes{} : now;
        } else if (went_down(thread.last, now)) {
            thread.earlier = thread.earlier + increase(thread.first, thread.last);
            thread.first = ThreadTimes{};
        }
        thread.last = now;
    }
    have_baseline_ = true;
    peak_rss_mib_ = std::max(peak_rss_mib_, snapshot.rss_mib);
    processes_ = std::max(processes_, snapshot.processes);
    threads_count_ = std::max(threads_count_, snapshot.threads_count);
}

ProcessUsage UsageAccumulator::result() const {
    ThreadTimes total;
    for (const auto& [tid, thread] : threads_) total = total + thread.earlier + increase(thread.first, thread.last);
    ProcessUsage usage;
    if (!threads_.empty()) {
        const double hz = ticks_per_second();
        usage.user_s = static_cast<double>(total.user_ticks) / hz;
        usage.system_s = static_cast<double>(total.system_ticks) / hz;
        usage.runtime_s = static_cast<double>(total.runtime_ns) / 1e9;
    }
    usage.voluntary_switches = total.voluntary;
    usage.involuntary_switches = total.involuntary;
    usage.peak_rss_mib = peak_rss_mib_;
    usage.processes = processes_;
    usage.threads = threads_count_;
    return usage;
}

} // namespace pb::harness
