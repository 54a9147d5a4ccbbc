// Micro-benchmarks of the per-request path shared by every server. They link
// the servers' counting operator new (servers/stats/counting_new.cpp), so
// each benchmark reports allocs_per_iter: the path is meant to allocate nothing.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "http/date_cache.hpp"
#include "http/handler.hpp"
#include "http/http_parser.hpp"
#include "http/http_session.hpp"
#include "http/response.hpp"
#include "stats/allocation_count.hpp"

namespace {

// The request the documented `wrk -H 'Connection: keep-alive'` run sends.
constexpr std::string_view wrk_request =
    "GET / HTTP/1.1\r\nHost: localhost\r\n"
    "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n"
    "Connection: keep-alive\r\n\r\n";

// Counts this thread's allocations between construction and report(), i.e.
// around the timed loop only.
class AllocationCounter {
public:
    explicit AllocationCounter(benchmark::State& state) : state_(state) { pb::count_allocations_in(&count_); }
    ~AllocationCounter() { pb::count_allocations_in(nullptr); }
    AllocationCounter(const AllocationCounter&) = delete;
    AllocationCounter& operator=(const AllocationCounter&) = delete;
    void report() {
        state_.counters["allocs_per_iter"] =
            benchmark::Counter(static_cast<double>(count_.get()), benchmark::Counter::kAvgIterations);
    }

private:
    benchmark::State& state_;
    pb::Counter count_;
};

pb::HandlerConfig no_delay() {
    pb::HandlerConfig config;
    config.delay = std::chrono::nanoseconds(0);
    config.work = std::chrono::nanoseconds(0);
    return config;
}

void BM_ParseWrkRequest(benchmark::State& state) {
    std::string_view input = wrk_request;
    pb::Request request;
    AllocationCounter allocs(state);
    for (auto _ : state) {
        benchmark::DoNotOptimize(input); // the compiler may not assume the bytes
        const pb::ParseResult result = pb::parse_request(input, request);
        benchmark::DoNotOptimize(result);
        benchmark::DoNotOptimize(request);
    }
    allocs.report();
    if (pb::parse_request(wrk_request, request) != pb::ParseResult::complete)
        state.SkipWithError("wrk request did not parse");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wrk_request.size()));
}
BENCHMARK(BM_ParseWrkRequest);

void BM_FormatResponse(benchmark::State& state) {
    pb::DateCache dates;
    const std::string_view date = dates.now(); // formatted once, as on a busy server
    const pb::Reply reply;
    char out[pb::max_response_size];
    AllocationCounter allocs(state);
    for (auto _ : state) {
        const std::size_t size = pb::format_response(reply, date, out);
        benchmark::DoNotOptimize(size);
        benchmark::ClobberMemory(); // the bytes in `out` count as used
    }
    allocs.report();
}
BENCHMARK(BM_FormatResponse);

void BM_DateCacheNow(benchmark::State& state) {
    pb::DateCache dates;
    AllocationCounter allocs(state);
    for (auto _ : state) {
        std::string_view date = dates.now();
        benchmark::DoNotOptimize(date);
    }
    allocs.report();
}
BENCHMARK(BM_DateCacheNow);

// The whole CPU cost of a request except I/O: parse, decide, format. This is
// the figure with the 150 ns target. The date is fetched per request like
// the servers do; BM_DateCacheNow shows what that part costs alone.
// What both request benchmarks answer with: the handler's settings, the
// date and the output buffer of one worker.
struct Responder {
    const pb::HandlerConfig config = no_delay();
    pb::DateCache dates;
    char out[pb::max_response_size];

    void respond(const pb::Reply& reply) {
        const std::size_t size = pb::format_response(reply, dates.now(), out);
        benchmark::DoNotOptimize(size);
        benchmark::ClobberMemory(); // the bytes in `out` count as used
    }
};

void BM_ParseAndFormat(benchmark::State& state) {
    std::string_view input = wrk_request;
    Responder responder;
    pb::Request request;
    AllocationCounter allocs(state);
    for (auto _ : state) {
        benchmark::DoNotOptimize(input);
        const pb::ParseResult result = pb::parse_request(input, request);
        responder.respond(result == pb::ParseResult::complete ? pb::handle(request, responder.config)
                                                               : pb::reject(result));
    }
    allocs.report();
}
BENCHMARK(BM_ParseAndFormat);

// As a server sees it: the bytes arrive in the session's buffer, the session
// parses and answers, the reply is formatted.
void BM_SessionRoundTrip(benchmark::State& state) {
    const auto buffer = std::make_unique<char[]>(pb::HttpSession::buffer_size); // allocated before counting
    const auto session = std::make_unique<pb::HttpSession>();
    session->attach({buffer.get(), pb::HttpSession::buffer_size});
    Responder responder;
    pb::WorkerCounters counters;
    AllocationCounter allocs(state);
    for (auto _ : state) {
        const std::span<char> space = session->free_space();
        if (space.size() < wrk_request.size()) {
            state.SkipWithError("session buffer did not drain");
            break;
        }
        std::memcpy(space.data(), wrk_request.data(), wrk_request.size());
        session->received(wrk_request.size());
        const std::optional<pb::Reply> reply = session->next_reply(responder.config, counters);
        if (!reply) {
            state.SkipWithError("no reply to a complete request");
            break;
        }
        responder.respond(*reply);
    }
    allocs.report();
}
BENCHMARK(BM_SessionRoundTrip);

// Control for the counter itself: exactly one allocation per iteration, so
// that the zeros above are known to be real.
void BM_CounterControl(benchmark::State& state) {
    AllocationCounter allocs(state);
    for (auto _ : state) {
        auto p = std::make_unique<int>(1);
        benchmark::DoNotOptimize(p.get());
    }
    allocs.report();
}
BENCHMARK(BM_CounterControl);

} // namespace

BENCHMARK_MAIN();
