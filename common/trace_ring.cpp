// The ring behind trace_ring.hpp: a fixed array of strings indexed by sequence number modulo its
// size. Sequence numbers only grow, so "after 42" means the same lines to every reader.
#include "trace_ring.hpp"

#include <array>
#include <mutex>

#include "log.hpp"

namespace mb::trace {
namespace {

struct Ring {
    std::mutex mutex;
    std::array<std::string, kKeptLines> slots;
    uint64_t last = 0;  // sequence number of the newest line; 0 = none yet
};

Ring& ring() {
    static Ring r;  // one per process: the trace is the process's narration
    return r;
}

}  // namespace

// The log gets the whole line; only the ring's copy is cut, because the ring is what must stay
// bounded (kKeptLines * kMaxLineBytes, about 256 KB at most).
void emit(std::string_view line) {
    log::info("trace: {}", line);
    if (line.size() > kMaxLineBytes) line = line.substr(0, kMaxLineBytes);
    Ring& r = ring();
    std::lock_guard lock(r.mutex);
    ++r.last;
    r.slots[r.last % kKeptLines].assign(line);  // reuses the slot's buffer once the ring is full
}

// The arithmetic, by example: 1000 lines emitted, 512 kept, so the oldest kept is number 489. A
// reader that last saw line 100 is told skipped = 388 (lines 101..488 are gone) and gets 489 on;
// its next request says after = `next`, so no line is shown twice and none is silently lost.
// `max` bounds one answer: a panel that polls after a long pause catches up in a few requests.
Recent since(uint64_t after, size_t max) {
    Ring& r = ring();
    std::lock_guard lock(r.mutex);
    Recent out;
    if (after > r.last) after = r.last;  // a reader from before a restart starts over at the end
    uint64_t oldest = r.last >= kKeptLines ? r.last - kKeptLines + 1 : 1;
    uint64_t first = after + 1;
    if (first < oldest) {
        out.skipped = oldest - first;
        first = oldest;
    }
    out.next = after + out.skipped;
    for (uint64_t seq = first; seq <= r.last && out.lines.size() < max; ++seq) {
        out.lines.push_back(r.slots[seq % kKeptLines]);
        out.next = seq;
    }
    return out;
}

}  // namespace mb::trace
