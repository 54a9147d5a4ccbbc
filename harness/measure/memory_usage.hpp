#pragma once
// The memory a server's processes really cost: their proportional set size
// (PSS) from /proc/PID/smaps_rollup, summed. Unlike RSS, PSS divides each
// page shared between processes (a forking server's children share their
// master's pages) among them, so the sum over a process tree counts every
// page once. It is user-space memory only: socket buffers and other kernel
// memory are not in it.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace pb::harness {

struct MemoryUsage {
    std::uint64_t pss_bytes = 0; // summed over the processes read
    int processes = 0;           // processes whose Pss was read (a zombie's cannot be)
};

// The "Pss:" line of an smaps_rollup text, in bytes (the file says kB,
// which are KiB). Nothing when the line is missing or malformed.
std::optional<std::uint64_t> parse_smaps_rollup_pss(std::string_view text);

// PSS summed over `pids`. A process that has vanished, or a zombie, is left
// out; any other failure to read throws naming the file.
MemoryUsage memory_of(const std::vector<pid_t>& pids);

// memory_of(process_tree(root)): the server's master and every descendant.
MemoryUsage memory_of_tree(pid_t root);

} // namespace pb::harness
