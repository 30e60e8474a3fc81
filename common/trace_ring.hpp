// CONCEPT: the --trace narration, kept for the live pages. Every server prints a trace line with
// mb::trace::emit (one line per step of a request's life, docs/architecture.md); besides going to
// the log, the line is kept in a ring of the last kKeptLines, so a browser can show the narration
// as a scrolling panel without reading the server's stderr:
//
//   emit("publish ...") ──▶ log: "... INFO trace: publish ..."
//                      └──▶ ring  [seq 41][seq 42][seq 43] ... (oldest overwritten)
//                                                  ▲
//   GET /api/trace/lines?after=42 ─────────────────┘  {"next":43, "lines":[...], "skipped":0}
//
// Bounded on purpose: a trace at 100k messages/s must not grow memory, so the ring keeps a fixed
// number of lines, each cut to kMaxLineBytes. A reader that falls behind is told how many lines it
// missed ("skipped") instead of the server keeping them for it - the same choice Redis makes for a
// slow MONITOR client, and Kafka for a consumer whose offset fell off the log.
//
// Lines may come from more than one thread (minirabbit's journal syncs, minikafka's fetchers), so
// the ring takes a mutex; tracing is a teaching mode, off by default, so this never sits on the
// hot path of a benchmark.
// READ NEXT: admin_http.hpp (trace_api: the HTTP side), live_page.cpp (the panel that polls it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mb::trace {

inline constexpr size_t kKeptLines = 512;
inline constexpr size_t kMaxLineBytes = 512;

// Logs "trace: <line>" at info level and keeps the line in the ring.
void emit(std::string_view line);

// The lines after sequence number `after` (the first line ever emitted is number 1), at most `max`.
struct Recent {
    uint64_t next = 0;     // the sequence number of the last line returned (or `after` if none)
    uint64_t skipped = 0;  // lines after `after` that were overwritten before this read
    std::vector<std::string> lines;
};
Recent since(uint64_t after, size_t max);

}  // namespace mb::trace
