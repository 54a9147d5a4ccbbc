#pragma once
// ssh joins its command's words with spaces and hands the line to the
// remote user's shell; each word is quoted so that the shell gives it back
// as it was, whatever it holds.
#include <string>
#include <string_view>
#include <vector>

namespace pb::harness {

// 'word', with each ' written as '\'' (a word of safe characters alone stays bare).
std::string shell_quoted(std::string_view word);
std::string shell_line(const std::vector<std::string>& words);

} // namespace pb::harness
