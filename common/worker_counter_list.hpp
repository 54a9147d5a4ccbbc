#pragma once
// The per-worker counters, defined once. Each X(name, meaning) becomes
//   - a field of the servers' WorkerCounters (servers/stats/worker_counters.hpp),
//   - a column of the --stats CSV, in this order after `worker` and `pid`,
//   - a field of the harness's WorkerRow, read by its column name and
//     subtracted over the measured window (harness/measure/stats_csv.hpp),
//   - a column of the results' workers.csv.
// Adding a counter is one line here; the servers then only count it.
#define PB_WORKER_COUNTERS(X)                                                   \
    X(connections, "connections accepted by this worker")                      \
    X(requests, "responses sent, any status")                                  \
    X(responses_2xx, "responses with a 2xx status")                            \
    X(responses_4xx, "responses with a 4xx status")                            \
    X(responses_5xx, "responses with a 5xx status")                            \
    X(parse_errors, "requests malformed, too large or of an unsupported version") \
    X(timeouts, "connections closed by the idle or header timeout")            \
    X(bytes_in, "bytes received")                                              \
    X(bytes_out, "bytes sent")                                                 \
    X(accept_errors, "failed accepts: EMFILE, ENFILE, ENOBUFS, ... (backed off)") \
    X(respawns, "times this slot's process was replaced")                      \
    X(allocations, "heap allocations (operator new) by this worker's threads")   \
    /* a new counter goes above this line: one line, ending in a backslash */
