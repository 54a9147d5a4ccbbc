#include "host/kernel_settings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>

namespace pb::harness {
namespace {

void write_sysctl(const std::string& name, const std::string& value, const std::string& root) {
    const std::string path = sysctl_path(name, root);
    std::ofstream out(path);
    if (!out) throw std::runtime_error(fmt::format("sysctl {}: open {}: {}", name, path, std::strerror(errno)));
    out << value << '\n';
    if (!out.flush())
        throw std::runtime_error(fmt::format("sysctl {}: write \"{}\" to {}: {}", name, value, path, std::strerror(errno)));
}

} // namespace

std::string sysctl_path(const std::string& name, const std::string& root) {
    std::string path = name;
    std::replace(path.begin(), path.end(), '.', '/');
    return root + "/" + path;
}

std::string read_sysctl(const std::string& name, const std::string& root) {
    const std::string path = sysctl_path(name, root);
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(fmt::format("sysctl {}: open {}: {} (this kernel has no such setting?)", name, path,
                                             std::strerror(errno)));
    std::string value;
    std::getline(in, value);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    return value;
}

KernelSettings::KernelSettings(const std::vector<std::pair<std::string, std::string>>& settings, std::string root)
    : root_(std::move(root)) {
    for (const auto& [name, value] : settings) {
        try {
            const std::string before = read_sysctl(name, root_);
            write_sysctl(name, value, root_);
            previous_.emplace_back(name, before);
            set_.emplace_back(name, value);
        } catch (...) {
            for (auto it = previous_.rbegin(); it != previous_.rend(); ++it) {
                try {
                    write_sysctl(it->first, it->second, root_);
                } catch (const std::exception&) {
                    // the first failure is the one to report
                }
            }
            throw;
        }
    }
}

KernelSettings::~KernelSettings() {
    for (auto it = previous_.rbegin(); it != previous_.rend(); ++it) {
        try {
            write_sysctl(it->first, it->second, root_);
        } catch (const std::exception& error) {
            fmt::print(stderr, "prefork-bench: could not put back {}: {}\n", it->first, error.what());
        }
    }
}

std::string KernelSettings::describe() const {
    std::string out;
    for (const auto& [name, value] : set_) out += fmt::format("{}{}={}", out.empty() ? "" : " ", name, value);
    return out;
}

} // namespace pb::harness
