#pragma once
// gtest names for the cases of a table: a case's label with every character
// gtest does not allow in a name (anything but letters and digits) made '_'.
#include <cctype>
#include <string>

#include <gtest/gtest.h>

namespace test_support {

inline std::string test_name(std::string label) {
    for (char& c : label)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return label;
}

// The name generator of INSTANTIATE_TEST_SUITE_P for cases with a `label`.
struct ByLabel {
    template <typename Case>
    std::string operator()(const testing::TestParamInfo<Case>& info) const {
        return test_name(info.param.label);
    }
};

} // namespace test_support
