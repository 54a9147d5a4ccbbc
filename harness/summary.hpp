#pragma once
// summary.md: one table that answers the scenario's question at a glance,
// medians over the repetitions that succeeded, and the runs that did not.
#include <filesystem>
#include <span>
#include <string>

#include "run_result.hpp"

namespace pb::harness {

struct SummaryContext {
    std::string scenario;
    std::string description;
    std::string host;         // e.g. the CPU model and kernel
    std::string started_utc;  // shown as is: "Started {started_utc}."
    std::string pinning_note; // a sentence on how server and wrk were placed on CPUs, shown as is
};

std::string summary_markdown(const SummaryContext& context, std::span<const RunResult> runs);

// Written beside the target and renamed; throws naming the file.
void write_summary(const std::filesystem::path& file, const std::string& markdown);

} // namespace pb::harness
