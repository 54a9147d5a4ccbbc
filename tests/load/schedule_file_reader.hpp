#pragma once
// The tests' own reader of a schedule file, written from the layout in
// load/schedule_file.hpp and not from the writer: what it decodes is what a
// simulator would.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/file_text.hpp"
#include "load/schedule.hpp"

namespace pb::load::test {

struct ScheduleFile {
    std::string magic;
    std::uint32_t version = 0, record_size = 0;
    std::uint64_t count = 0;
    std::int64_t warmup_ns = 0, length_ns = 0;
    std::vector<PlannedRequest> records;
    std::size_t file_size = 0;
};

inline std::uint64_t little_endian(const std::string& bytes, std::size_t at, std::size_t size) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) value |= std::uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
    return value;
}

// Nothing when the file cannot be read or is shorter than its header says.
inline std::optional<ScheduleFile> read_schedule_file(const std::filesystem::path& path) {
    const std::optional<std::string> bytes = read_whole_file(path);
    if (!bytes || bytes->size() < 40) return std::nullopt;
    ScheduleFile file;
    file.file_size = bytes->size();
    file.magic = bytes->substr(0, 8);
    file.version = static_cast<std::uint32_t>(little_endian(*bytes, 8, 4));
    file.record_size = static_cast<std::uint32_t>(little_endian(*bytes, 12, 4));
    file.count = little_endian(*bytes, 16, 8);
    file.warmup_ns = static_cast<std::int64_t>(little_endian(*bytes, 24, 8));
    file.length_ns = static_cast<std::int64_t>(little_endian(*bytes, 32, 8));
    if (bytes->size() < 40 + file.count * 16) return std::nullopt;
    for (std::size_t at = 40; at + 16 <= bytes->size(); at += 16)
        file.records.push_back({static_cast<std::int64_t>(little_endian(*bytes, at, 8)),
                                static_cast<std::uint32_t>(little_endian(*bytes, at + 8, 4)),
                                static_cast<std::uint32_t>(little_endian(*bytes, at + 12, 4))});
    return file;
}

} // namespace pb::load::test
