#pragma once
// Readable gtest failure messages for the core enums (found through ADL).
#include <ostream>

#include "http/handler.hpp"
#include "http/http_parser.hpp"

namespace pb {

inline void PrintTo(ParseResult result, std::ostream* os) {
    switch (result) {
    case ParseResult::complete: *os << "complete"; return;
    case ParseResult::incomplete: *os << "incomplete"; return;
    case ParseResult::malformed: *os << "malformed"; return;
    case ParseResult::head_too_large: *os << "head_too_large"; return;
    case ParseResult::version_not_supported: *os << "version_not_supported"; return;
    }
    *os << "ParseResult(" << static_cast<int>(result) << ")";
}

inline void PrintTo(Method method, std::ostream* os) {
    switch (method) {
    case Method::get: *os << "get"; return;
    case Method::head: *os << "head"; return;
    case Method::other: *os << "other"; return;
    }
    *os << "Method(" << static_cast<int>(method) << ")";
}

inline void PrintTo(Status status, std::ostream* os) { *os << static_cast<int>(status); }

} // namespace pb
