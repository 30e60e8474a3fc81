// The backlog ring (see replication_backlog.hpp): two memcpys per append at most, nothing
// allocated after reset().
//
// READ NEXT: core/replication_master.cpp.
#include "core/replication_backlog.hpp"

#include <algorithm>
#include <cstring>

namespace miniredis {

// The ring is allocated once, at its full size: appending must never allocate, since it runs for
// every propagated write. Its contents start empty - the window is [offset, offset).
void ReplBacklog::reset(size_t size, uint64_t offset) {
    ring_.assign(std::max<size_t>(size, 1), 0);
    pos_ = 0;
    histlen_ = 0;
    end_ = offset;
}

// The stream's end moves by every byte, whether the ring keeps it or not: offsets count the
// stream, not the ring. The copy goes in at most two pieces - up to the ring's end, then from
// its start - overwriting the oldest bytes, which is what moves start_offset() forward.
void ReplBacklog::append(std::string_view bytes) {
    end_ += bytes.size();
    if (ring_.empty()) return;
    // A write bigger than the ring keeps only its tail: the rest would be overwritten at once.
    if (bytes.size() > ring_.size()) bytes = bytes.substr(bytes.size() - ring_.size());
    while (!bytes.empty()) {
        size_t n = std::min(bytes.size(), ring_.size() - pos_);
        std::memcpy(ring_.data() + pos_, bytes.data(), n);
        pos_ = (pos_ + n) % ring_.size();
        bytes.remove_prefix(n);
        histlen_ = std::min(histlen_ + n, ring_.size());
    }
}

// PSYNC's +CONTINUE: the replica has every byte before `offset`, so it needs the last
// (end - offset) bytes written. They end just before the write position; walking back that far
// (modulo the ring) finds where they start, and they come out in at most two pieces again.
void ReplBacklog::copy_from(uint64_t offset, mb::ByteBuffer& out) const {
    size_t want = static_cast<size_t>(end_ - offset);
    // The byte at `offset` sits `want` bytes behind the write position, modulo the ring.
    size_t at = (pos_ + ring_.size() - want % ring_.size()) % ring_.size();
    while (want > 0) {
        size_t n = std::min(want, ring_.size() - at);
        out.append(ring_.data() + at, n);
        at = (at + n) % ring_.size();
        want -= n;
    }
}

}  // namespace miniredis
