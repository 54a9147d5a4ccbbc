#include "http/handler.hpp"

#include <algorithm>
#include <ctime>

#include "http/critical_section.hpp"
#include "http/request_cost.hpp"

namespace pb {
namespace {

std::chrono::nanoseconds thread_cpu_time() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

} // namespace

// CPU time rather than wall time: a worker that is preempted while spinning
// must still spend the full amount of work on the request.
void burn_cpu(std::chrono::nanoseconds work) {
    if (work <= std::chrono::nanoseconds::zero()) return;
    const auto until = thread_cpu_time() + work;
    while (thread_cpu_time() < until) {
    }
}

Reply handle(const Request& request, const HandlerConfig& config) {
    if (request.has_transfer_encoding) return reject(Status::not_implemented);
    if (request.method_kind == Method::other) return reject(Status::method_not_allowed);
    RequestCost cost{config.work, config.delay};
    if (config.cost_from_request && !parse_request_cost(request.target, config.max_cost, cost))
        return reject(Status::bad_request);
    burn_request_work(cost.work, config.critical_share, burn_cpu);
    Reply reply;
    reply.keep_alive = request.keep_alive;
    reply.with_body = request.method_kind == Method::get;
    reply.http10 = request.version_minor == 0;
    reply.delay = std::max(cost.delay, std::chrono::nanoseconds::zero());
    return reply;
}

Reply reject(Status status) {
    Reply reply;
    reply.status = status;
    reply.keep_alive = false;
    return reply;
}

Reply reject(ParseResult result) {
    switch (result) {
    case ParseResult::head_too_large: return reject(Status::header_fields_too_large);
    case ParseResult::version_not_supported: return reject(Status::version_not_supported);
    default: return reject(Status::bad_request);
    }
}

} // namespace pb
