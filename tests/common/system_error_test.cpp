#include "common/system_error.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace {

TEST(ThrowSystemError, NamesCallArgumentAndError) {
    try {
        pb::throw_system_error("bind", "127.0.0.1:8080", EADDRINUSE);
        FAIL() << "did not throw";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EADDRINUSE);
        EXPECT_EQ(std::string(e.what()), std::string("bind(127.0.0.1:8080): ") + std::strerror(EADDRINUSE));
    }
}

TEST(ThrowSystemError, DefaultsToErrno) {
    errno = ENOENT;
    try {
        pb::throw_system_error("open", "/nowhere");
        FAIL() << "did not throw";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT);
        EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    }
}

} // namespace
