#pragma once
// Reads one table of a TOML file (a scenario, a peer definition), checking
// each key's type and refusing keys it does not know: a typo must not
// silently fall back to a default. A problem names the file, the key and what
// was expected; it is recorded in the loader's Problems and the key's
// fallback is returned, so that reading goes on and the user hears of every
// problem at once.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <toml++/toml.h>
#include <vector>

#include "common/units.hpp"
#include "scenario/problems.hpp"

namespace pb::harness {

class TomlReader {
public:
    TomlReader(const toml::table& table, std::string prefix, const std::filesystem::path& file, Problems& problems)
        : table_(table), prefix_(std::move(prefix)), file_(file), problems_(problems) {}

    // A reader of a table inside this one (prefix "wrk.", "server[0]."), for the same file.
    TomlReader nested(const toml::table& table, std::string prefix) const {
        return TomlReader(table, prefix_ + prefix, file_, problems_);
    }

    void fail(std::string_view key, std::string_view expected) const {
        std::string full_key = prefix_ + std::string(key);
        std::string line = fmt::format("{}: {}: expected {}", file_.string(), full_key, expected);
        problems_.add(std::move(full_key), std::move(line));
    }

    // Whether key has a problem: a check that depends on its value is then skipped.
    bool failed(std::string_view key) const { return problems_.about(prefix_ + std::string(key)); }

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
        if (!value) {
            fail(key, "a string");
            return fallback;
        }
        return *value;
    }

    // Nothing when the key is missing or not a string, so that no check runs
    // on a made-up value.
    std::optional<std::string> required_string(std::string_view key) const {
        if (!has(key)) {
            fail(key, "a string (the key is required)");
            return std::nullopt;
        }
        auto value = table_[key].value<std::string>();
        if (!value) fail(key, "a string");
        return value;
    }

    int positive_int(std::string_view key, int fallback, std::int64_t limit = 1'000'000) const {
        if (!has(key)) return fallback;
        // value_exact: value() would take `true` as 1 and 16.0 as 16.
        auto value = table_[key].value_exact<std::int64_t>();
        if (!value || *value < 1 || *value > limit) {
            fail(key, fmt::format("an integer from 1 to {}", limit));
            return fallback;
        }
        return static_cast<int>(*value);
    }

    std::chrono::nanoseconds duration(std::string_view key, std::chrono::nanoseconds fallback) const {
        if (!has(key)) return fallback;
        auto text = table_[key].value<std::string>();
        if (!text) {
            fail(key, "a duration string such as \"100ms\" or \"15s\"");
            return fallback;
        }
        auto value = parse_duration(*text);
        if (!value) {
            fail(key, fmt::format("a duration such as \"100ms\" or \"15s\", got \"{}\"", *text));
            return fallback;
        }
        return *value;
    }

    bool boolean(std::string_view key, bool fallback) const {
        if (!has(key)) return fallback;
        auto value = table_[key].value_exact<bool>();
        if (!value) fail(key, "true or false");
        return value.value_or(fallback);
    }

    std::vector<std::string> strings(std::string_view key) const {
        std::vector<std::string> out;
        if (!has(key)) return out;
        const toml::array* array = table_[key].as_array();
        bool all_strings = array != nullptr && std::all_of(array->begin(), array->end(), [](const toml::node& item) {
            return item.is_string();
        });
        if (!all_strings) {
            fail(key, "an array of strings");
            return out;
        }
        for (const toml::node& item : *array) out.push_back(*item.value<std::string>());
        return out;
    }

    // An integer or an array of them.
    std::vector<int> positive_ints(std::string_view key, std::vector<int> fallback) const {
        if (!has(key)) return fallback;
        const char* expected = "a positive integer or an array of them";
        auto in_range = [](std::int64_t value) { return value >= 1 && value <= 1'000'000; };
        if (auto single = table_[key].value<std::int64_t>()) {
            if (!in_range(*single)) {
                fail(key, expected);
                return fallback;
            }
            return {static_cast<int>(*single)};
        }
        const toml::array* array = table_[key].as_array();
        if (array == nullptr || array->empty()) {
            fail(key, expected);
            return fallback;
        }
        std::vector<int> out;
        for (const toml::node& item : *array) {
            auto value = item.value<std::int64_t>();
            if (!value || !in_range(*value)) {
                fail(key, expected);
                return fallback;
            }
            out.push_back(static_cast<int>(*value));
        }
        return out;
    }

    // A table whose values are all strings, e.g. [vars] name = "value"; an
    // entry that is not a string is reported and left out.
    std::vector<std::pair<std::string, std::string>> string_table(std::string_view key) const {
        std::vector<std::pair<std::string, std::string>> out;
        const toml::table* sub = subtable(key);
        if (sub == nullptr) return out;
        for (auto&& [name, node] : *sub) {
            auto value = node.value<std::string>();
            if (value)
                out.emplace_back(std::string(name.str()), *value);
            else
                fail(fmt::format("{}.{}", key, name.str()), "a string");
        }
        return out;
    }

    // Nothing when the key is missing or not a table.
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
    Problems& problems_;
};

} // namespace pb::harness
