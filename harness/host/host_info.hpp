#pragma once
// Facts about the machine, the build and the source tree, recorded next to
// the results so that a run can be compared with another. Nothing here
// throws: a fact that cannot be found is null.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pb::harness {

// Hostname, OS, kernel, CPU model, online and allowed CPUs, memory, cpufreq
// governor, net.core.somaxconn, RLIMIT_NOFILE, virtualisation and the
// network interfaces.
nlohmann::json host_facts();

// Every interface of a /sys/class/net directory but lo, by name: its driver,
// link speed in Mb/s, MTU and operstate, each null where the kernel does not
// tell (a virtual interface has no driver link and no speed).
nlohmann::json network_interfaces(const std::filesystem::path& sys_class_net);

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

// The parsers behind the facts above, pure functions of the text they are
// given (a file's content, a command's output) so that tests can feed them
// fixture texts. Each gives null where the text does not tell.
namespace parse {

// PRETTY_NAME of an os-release file, without its quotes.
std::optional<std::string> os_name(std::string_view os_release);
// The first "model name" of /proc/cpuinfo (x86 names it so; arm64 does not).
std::optional<std::string> cpu_model(std::string_view cpuinfo);
// Whether the first "flags" line of /proc/cpuinfo lists 'hypervisor';
// null without a flags line.
std::optional<bool> hypervisor_flag(std::string_view cpuinfo);
// MemTotal of /proc/meminfo ("24684096 kB") in MiB.
std::optional<double> memory_total_mib(std::string_view meminfo);
// A file that holds one value (scaling_governor, a DMI name), trimmed.
std::optional<std::string> single_value(std::string_view text);
// /proc/sys/net/core/somaxconn: one whole number.
std::optional<int> somaxconn(std::string_view text);
// The first line of a command's output, trimmed ("" for no output).
std::string first_line(std::string_view output);

} // namespace parse

} // namespace pb::harness
