#pragma once
// Reads one table of a TOML file (a scenario, a peer definition), checking
// each key's type and refusing keys it does not know: a typo must not
// silently fall back to a default. Errors name the file, the key and what
// was expected, and are thrown as `Error`.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <string>
#include <string_view>
#include <utility>
#include <toml++/toml.h>
#include <vector>

#include "common/units.hpp"

namespace pb::harness {

template <typename Error>
class TomlReader {
public:
    TomlReader(const toml::table& table, std::string prefix, const std::filesystem::path& file)
        : table_(table), prefix_(std::move(prefix)), file_(file) {}

    [[noreturn]] void fail(std::string_view key, std::string_view expected) const {
        throw Error(fmt::format("{}: {}{}: expected {}", file_.string(), prefix_, key, expected));
    }

    void only(std::initializer_list<std::string_view> keys) const {
        for (auto&& [key, value] : table_) {
            (void)value;
            if (std::find(keys.begin(), keys.end(), key.str()) == keys.end())
                fail(key.str(), fmt::format("one of the known keys ({})", fmt::join(keys, ", ")));
        }
    }

    bool has(std::string_view key) const { return table_.contains(key); }

    std::string string(std::string_view key, std::string fallback) const {
        if (!has(key)) return fallback;
        auto value = table_[key].value<std::string>();
        if (!value) fail(key, "a string");
        return *value;
    }

    std::string required_string(std::string_view key) const {
        if (!has(key)) fail(key, "a string (the key is required)");
        return string(key, "");
    }

    int positive_int(std::string_view key, int fallback, std::int64_t limit = 1'000'000) const {
        if (!has(key)) return fallback;
        // value_exact: value() would take `true` as 1 and 16.0 as 16.
        auto value = table_[key].value_exact<std::int64_t>();
        if (!value || *value < 1 || *value > limit) fail(key, fmt::format("an integer from 1 to {}", limit));
        return static_cast<int>(*value);
    }

    std::chrono::nanoseconds duration(std::string_view key, std::chrono::nanoseconds fallback) const {
        if (!has(key)) return fallback;
        auto text = table_[key].value<std::string>();
        if (!text) fail(key, "a duration string such as \"100ms\" or \"15s\"");
        auto value = parse_duration(*text);
        if (!value) fail(key, fmt::format("a duration such as \"100ms\" or \"15s\", got \"{}\"", *text));
        return *value;
    }

    std::vector<std::string> strings(std::string_view key) const {
        std::vector<std::string> out;
        if (!has(key)) return out;
        const toml::array* array = table_[key].as_array();
        if (array == nullptr) fail(key, "an array of strings");
        for (const toml::node& item : *array) {
            auto value = item.value<std::string>();
            if (!value) fail(key, "an array of strings");
            out.push_back(*value);
        }
        return out;
    }

    // An integer or an array of them.
    std::vector<int> positive_ints(std::string_view key, std::vector<int> fallback) const {
        if (!has(key)) return fallback;
        const char* expected = "a positive integer or an array of them";
        if (auto single = table_[key].value<std::int64_t>()) {
            if (*single < 1 || *single > 1'000'000) fail(key, expected);
            return {static_cast<int>(*single)};
        }
        const toml::array* array = table_[key].as_array();
        if (array == nullptr || array->empty()) fail(key, expected);
        std::vector<int> out;
        for (const toml::node& item : *array) {
            auto value = item.value<std::int64_t>();
            if (!value || *value < 1 || *value > 1'000'000) fail(key, expected);
            out.push_back(static_cast<int>(*value));
        }
        return out;
    }

    // A table whose values are all strings, e.g. [vars] name = "value".
    std::vector<std::pair<std::string, std::string>> string_table(std::string_view key) const {
        std::vector<std::pair<std::string, std::string>> out;
        const toml::table* sub = subtable(key);
        if (sub == nullptr) return out;
        for (auto&& [name, node] : *sub) {
            auto value = node.template value<std::string>();
            if (!value) fail(fmt::format("{}.{}", key, name.str()), "a string");
            out.emplace_back(std::string(name.str()), *value);
        }
        return out;
    }

    const toml::table* subtable(std::string_view key) const {
        if (!has(key)) return nullptr;
        const toml::table* sub = table_[key].as_table();
        if (sub == nullptr) fail(key, "a table");
        return sub;
    }

private:
    const toml::table& table_;
    std::string prefix_;
    const std::filesystem::path& file_;
};

} // namespace pb::harness
