#pragma once
// The problems found while reading one file (a scenario, a peer definition),
// kept so that the user learns of all of them at once instead of one per
// attempt. Each is one line; each is also remembered by its key, so that a
// check depending on a value that could not be read is skipped rather than
// report a second problem that only the first one caused.
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pb::harness {

class Problems {
public:
    // key: with its table, as in the message ("wrk.threads"); line: the whole message.
    void add(std::string key, std::string line) {
        // The same line twice (two headers without a colon) tells nothing more.
        if (std::any_of(problems_.begin(), problems_.end(), [&](const Problem& p) { return p.line == line; })) return;
        problems_.push_back({std::move(key), std::move(line)});
    }

    bool about(std::string_view key) const {
        return std::any_of(problems_.begin(), problems_.end(), [&](const Problem& p) { return p.key == key; });
    }

    bool empty() const { return problems_.empty(); }

    // One Error for all of them, a line each in the order they were found:
    // with one problem, the message is that problem's line.
    template <typename Error>
    void throw_if_any() const {
        if (problems_.empty()) return;
        std::string message;
        for (const Problem& problem : problems_) {
            if (!message.empty()) message += '\n';
            message += problem.line;
        }
        throw Error(message);
    }

private:
    struct Problem {
        std::string key;
        std::string line;
    };
    std::vector<Problem> problems_;
};

} // namespace pb::harness
