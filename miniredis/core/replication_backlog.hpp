// ReplBacklog: the last `repl-backlog-size` bytes of the replication stream, kept in a ring, so a
// replica that lost its connection can continue where it stopped instead of loading a snapshot.
//
// CONCEPT: the replication stream is one endless byte sequence, numbered from the master's first
// byte on (the replication *offset*). The backlog keeps only its tail - a window of the last N
// bytes - in a fixed buffer that wraps around:
//
//              start_offset()                                  end_offset() = master_repl_offset
//                   |<------------------ histlen ----------------->|
//   stream:  ... ###|##############################################|   (bytes before start: gone)
//
//   ring:    [ newest bytes ... | oldest bytes ........................ ]
//                               ^ write position (the next byte goes here, over the oldest)
//
// A replica asking "PSYNC <replid> <offset>" can continue (+CONTINUE) when start <= offset <= end:
// the master sends it the bytes from `offset` to `end`, then the live stream. Otherwise the
// bytes it missed are gone and only a full resync (a snapshot) can bring it up to date. The
// window's size is the whole trade-off: a bigger backlog survives longer disconnections and costs
// that much memory on the master, whether a replica ever needs it or not.
//
// REAL REDIS: replication.c keeps the same ring (Redis 7 shares it with the replicas' output
// buffers as a list of blocks; one flat ring is the textbook version).
// READ NEXT: core/replication_master.cpp (feed_replicas appends here, PSYNC reads from here).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "byte_buffer.hpp"

namespace miniredis {

class ReplBacklog {
public:
    // Allocates the ring (Redis creates it when the first replica connects) and forgets its
    // contents: the window starts empty at `offset`, the stream position of the next byte.
    void reset(size_t size, uint64_t offset);
    bool active() const { return !ring_.empty(); }
    void release() { ring_ = {}; }  // REPLICAOF ... on a master without replicas: no window to keep

    // Adds stream bytes (the master's offset advances by bytes.size()).
    void append(std::string_view bytes);

    uint64_t start_offset() const { return end_ - histlen_; }  // the oldest byte still held
    uint64_t end_offset() const { return end_; }               // one past the newest byte
    size_t histlen() const { return histlen_; }
    size_t size() const { return ring_.size(); }
    bool contains(uint64_t offset) const { return active() && offset >= start_offset() && offset <= end_; }

    // Appends the bytes from `offset` to the end to `out` (contains(offset) must hold).
    void copy_from(uint64_t offset, mb::ByteBuffer& out) const;

private:
    std::vector<char> ring_;
    size_t pos_ = 0;      // where the next byte is written
    size_t histlen_ = 0;  // valid bytes, at most ring_.size()
    uint64_t end_ = 0;    // stream offset of the next byte
};

}  // namespace miniredis
