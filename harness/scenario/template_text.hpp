#pragma once
// Peer configuration files and command lines are templates with @name@
// placeholders (autoconf's style: nginx and Apache configs are full of { }
// and $). Every placeholder must be known, so a typo fails before a run.
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pb::harness {

using TemplateValues = std::map<std::string, std::string, std::less<>>;

class TemplateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Replaces each @name@ (name: letters, digits, _) by values[name]. Throws
// TemplateError naming `where` and the placeholder when a name is unknown.
// An @ that does not start a placeholder is kept as it is.
std::string render_template(std::string_view text, const TemplateValues& values, std::string_view where);

} // namespace pb::harness
