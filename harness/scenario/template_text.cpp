#include "scenario/template_text.hpp"

#include <cctype>
#include <fmt/format.h>

namespace pb::harness {
namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

} // namespace

std::string render_template(std::string_view text, const TemplateValues& values, std::string_view where) {
    std::string out;
    out.reserve(text.size());
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t open = text.find('@', at);
        if (open == std::string_view::npos) break;
        std::size_t end = open + 1;
        while (end < text.size() && is_name_char(text[end])) ++end;
        out.append(text.substr(at, open - at));
        if (end == open + 1 || end == text.size() || text[end] != '@') {
            out += '@';
            at = open + 1;
            continue;
        }
        std::string_view name = text.substr(open + 1, end - open - 1);
        auto value = values.find(name);
        if (value == values.end()) {
            std::string known;
            for (const auto& [key, ignored] : values) known += (known.empty() ? "@" : ", @") + key + "@";
            throw TemplateError(fmt::format("{}: unknown placeholder @{}@ (known: {})", where, name, known));
        }
        out += value->second;
        at = end + 1;
    }
    out.append(text.substr(at));
    return out;
}

} // namespace pb::harness
