#pragma once
// The cost a request asks for in its query string (--cost-from-request):
// `work=` (CPU time) and `delay=` (wait), whole microseconds, as a load
// generator that mixes cheap and expensive requests sends them:
// "GET /?work=1000&delay=250". Parsed in place over the target, like the
// request head: no copy, no allocation.
#include <chrono>
#include <string_view>

namespace pb {

struct RequestCost {
    std::chrono::nanoseconds work{0};
    std::chrono::nanoseconds delay{0};
};

// Overwrites the parts of `cost` the query of `target` names and leaves the
// others (the server's --work and --delay). Other parameters are ignored; a
// repeated one counts as given last. False when work= or delay= is not a
// decimal count of microseconds (empty, signed, not digits) or is above
// `max_cost`: the request gets a 400. `cost` is unspecified then.
bool parse_request_cost(std::string_view target, std::chrono::nanoseconds max_cost, RequestCost& cost);

} // namespace pb
