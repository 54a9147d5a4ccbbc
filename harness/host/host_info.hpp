#pragma once
// Facts about the machine, the build and the source tree, recorded next to
// the results so that a run can be compared with another. Nothing here
// throws: a fact that cannot be found is null.
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace pb::harness {

// Hostname, OS, kernel, CPU model, online and allowed CPUs, memory, cpufreq
// governor, net.core.somaxconn, RLIMIT_NOFILE and virtualisation.
nlohmann::json host_facts();

// Compiler, build type and flags, and the versions of the libraries built in.
nlohmann::json toolchain_facts();

// {"commit": HEAD or null, "dirty": bool or null} for the tree at source_dir.
nlohmann::json git_facts(const std::filesystem::path& source_dir);

// The first line `wrk -v` prints, e.g. "wrk 4.1.0 [epoll] Copyright (C) 2012
// Will Glozer"; "" when wrk cannot be run.
std::string wrk_version(const std::string& wrk_path);

// scaling_governor of cpu0; empty without cpufreq (common in VMs and containers).
std::optional<std::string> cpu_governor();

// net.core.somaxconn, the cap on any listen backlog; empty when unreadable.
std::optional<int> somaxconn();

} // namespace pb::harness
