#pragma once
// Runs a parser over a table of {text, want} rows, want empty where the text
// must be refused. `key` picks what to compare of a parsed value (for types
// without == or a printer); by default the value itself.
#include <functional>

#include <gtest/gtest.h>

namespace test_support {

template <typename Rows, typename Parse, typename Key = std::identity>
void expect_parse_table(const Rows& rows, Parse parse, Key key = {}) {
    for (const auto& row : rows) {
        SCOPED_TRACE(testing::Message() << '"' << row.text << '"');
        const auto got = parse(row.text);
        ASSERT_EQ(got.has_value(), row.want.has_value());
        if (got) {
            EXPECT_EQ(key(*got), key(*row.want));
        }
    }
}

} // namespace test_support
