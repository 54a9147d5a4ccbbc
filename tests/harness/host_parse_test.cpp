// The parsers behind host_facts(), fed fixture texts cut from real machines'
// files, so that every case is tested whatever machine runs the tests. The
// live values are compared with /proc in host_info_test.cpp.
#include "host/host_info.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

namespace parse = pb::harness::parse;

template <typename T>
struct Case {
    const char* what;
    std::string_view text;
    std::optional<T> expected;
};

// Each row's text through `parser`; a failing row names itself.
template <typename T>
void expect_rows(std::optional<T> (*parser)(std::string_view), const std::vector<Case<std::type_identity_t<T>>>& rows) {
    for (const auto& row : rows) EXPECT_EQ(parser(row.text), row.expected) << row.what << ":\n" << row.text;
}

// A KVM guest's /proc/cpuinfo, cut to the lines that matter, with a second
// processor whose lines must not be the ones read.
constexpr std::string_view x86_guest =
    "processor\t: 0\n"
    "vendor_id\t: GenuineIntel\n"
    "model name\t: Intel(R) Xeon(R) Processor\n"
    "flags\t\t: fpu vme de pse tsc hypervisor lahf_lm\n"
    "vmx flags\t: vnmi preemption_timer\n"
    "\n"
    "processor\t: 1\n"
    "model name\t: Not The First Processor\n"
    "flags\t\t: fpu vme hypervisor\n";
// Bare metal: a flag that only starts with "hypervisor" is not the flag.
constexpr std::string_view x86_bare_metal =
    "processor\t: 0\n"
    "model name\t: AMD Ryzen 9 7950X 16-Core Processor\n"
    "flags\t\t: fpu vme hypervisor_lookalike svm\n";
// arm64 names neither the model nor the flags the way x86 does.
constexpr std::string_view arm64 =
    "processor\t: 0\n"
    "BogoMIPS\t: 50.00\n"
    "Features\t: fp asimd evtstrm aes pmull\n"
    "CPU implementer\t: 0x41\n";

TEST(HostParse, CpuModelIsTheFirstModelName) {
    expect_rows<std::string>(parse::cpu_model, {
        {"x86 guest", x86_guest, "Intel(R) Xeon(R) Processor"},
        {"x86 bare metal", x86_bare_metal, "AMD Ryzen 9 7950X 16-Core Processor"},
        {"arm64", arm64, std::nullopt},
        {"empty", "", std::nullopt},
    });
}

TEST(HostParse, HypervisorFlagIsAWholeWordOfTheFlagsLine) {
    expect_rows<bool>(parse::hypervisor_flag, {
        {"x86 guest", x86_guest, true},
        {"x86 bare metal", x86_bare_metal, false},
        {"last flag", "flags\t: fpu hypervisor\n", true},
        {"only flag", "flags\t: hypervisor", true},
        {"arm64 has no flags line", arm64, std::nullopt},
    });
}

TEST(HostParse, MemoryTotalIsMemTotalInMebibytes) {
    expect_rows<double>(parse::memory_total_mib, {
        {"meminfo", "MemTotal:       24684096 kB\nMemFree:        22087824 kB\n", 24684096 / 1024.0},
        {"not the first line", "MemFree: 1 kB\nMemTotal: 2048 kB\n", 2.0},
        {"no MemTotal", "MemFree:        22087824 kB\n", std::nullopt},
        {"not a number", "MemTotal:       lots kB\n", std::nullopt},
        {"no value", "MemTotal:\n", std::nullopt},
    });
}

TEST(HostParse, OsNameIsPrettyNameUnquoted) {
    expect_rows<std::string>(parse::os_name, {
        {"Debian", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n",
         "Debian GNU/Linux 12 (bookworm)"},
        {"not the first line", "NAME=\"Fedora Linux\"\nPRETTY_NAME=\"Fedora Linux 40\"\n", "Fedora Linux 40"},
        {"single quotes", "PRETTY_NAME='Arch Linux'\n", "Arch Linux"},
        {"unquoted", "PRETTY_NAME=Alpine\n", "Alpine"},
        {"an unmatched quote stays", "PRETTY_NAME=\"Broken\n", "\"Broken"},
        {"'=' inside the value", "PRETTY_NAME=\"a=b\"\n", "a=b"},
        {"no PRETTY_NAME", "NAME=\"Fedora Linux\"\n", std::nullopt},
        {"a longer key is another key", "X_PRETTY_NAME=\"no\"\n", std::nullopt},
    });
}

TEST(HostParse, SingleValueIsTheTrimmedText) {
    expect_rows<std::string>(parse::single_value, {
        {"governor", "performance\n", "performance"},
        {"DMI name with spaces", "  Standard PC (Q35 + ICH9, 2009) \n", "Standard PC (Q35 + ICH9, 2009)"},
        {"blank", " \n", std::nullopt},
        {"empty", "", std::nullopt},
    });
}

TEST(HostParse, SomaxconnIsOneWholeNumber) {
    expect_rows<int>(parse::somaxconn, {
        {"with its newline", "4096\n", 4096},
        {"without", "65535", 65535},
        {"empty", "", std::nullopt},
        {"two numbers", "40 96\n", std::nullopt},
        {"a word", "many\n", std::nullopt},
        {"beyond int", "99999999999\n", std::nullopt},
    });
}

TEST(HostParse, FirstLineIsTrimmed) {
    EXPECT_EQ(parse::first_line("wrk 4.2.0 [epoll] Copyright (C) 2012 Will Glozer\nUsage: wrk <options> <url>\n"),
              "wrk 4.2.0 [epoll] Copyright (C) 2012 Will Glozer");
    EXPECT_EQ(parse::first_line("kvm\n"), "kvm");
    EXPECT_EQ(parse::first_line("none"), "none");
    EXPECT_EQ(parse::first_line("\nsecond line"), "");
    EXPECT_EQ(parse::first_line(""), "");
}

} // namespace
