#pragma once
// The planned schedule as a file, for a simulator to replay exactly the
// requests a run sent (--write-schedule). All integers little-endian:
//
//   offset  size  field
//        0     8  magic "PBSCHED1"
//        8     4  uint32 version (1)
//       12     4  uint32 record size in bytes (16)
//       16     8  uint64 record count
//       24     8  int64  warm-up in ns: requests intended earlier are not measured
//       32     8  int64  the whole schedule's length in ns (warm-up + duration)
//       40        the records, in intended-send order (the run's, every thread's):
//                 int64 send_at_ns, uint32 work_us, uint32 delay_us (PlannedRequest)
//
// A request is measured when send_at_ns >= the warm-up, as the run decides.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "load/schedule.hpp"

namespace pb::load {

inline constexpr std::string_view schedule_file_magic = "PBSCHED1";
inline constexpr std::uint32_t schedule_file_version = 1;
inline constexpr std::size_t schedule_header_size = 40, schedule_record_size = 16;

// Writes `<file>.tmp` and renames it onto `file`, so that no reader sees a
// half-written schedule. Throws std::system_error naming the call, the path
// and strerror (the temporary file is removed then).
void write_schedule_file(const std::filesystem::path& file, const std::vector<PlannedRequest>& schedule,
                         std::int64_t warmup_ns, std::int64_t length_ns);

} // namespace pb::load
