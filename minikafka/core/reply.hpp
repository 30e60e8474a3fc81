// minikafka/core/reply.hpp
//
// CONCEPT: one response on its way back to the client.
//   [size INT32][response header][body ............................................]
//                                     ^ file slices: ranges of a segment file that go to the
//                                       socket with sendfile(), never through our memory
// Clients pipeline requests and need the responses in request order, but some responses are
// not ready at once: a Fetch long-polls for data, a Produce with a durable ack waits for the
// fsync that covers it, a JoinGroup waits for the other members. So the session keeps its
// Replies in a queue in request order and sends the ready ones from the front; a handler
// that cannot answer yet calls defer(), keeps the shared_ptr, and finish()es it later.
// A Produce with acks=0 gets no response at all: omit().
//
// A reply queued behind one that waits cannot leave before it, so an answer built at once from
// the broker's state would be as old as the request when it finally goes out - a Metadata answer
// naming a leader that died meanwhile. A handler whose answer only reads state can therefore ask
// to run at its turn instead: postpone() when at_turn() is false, and the session runs it again
// once every earlier reply is ready (server.cpp, "answered at its turn").
// READ NEXT: handlers/fetch.cpp (a deferred reply with file slices), server.cpp (the queue).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "byte_buffer.hpp"
#include "protocol/primitives.hpp"
#include "protocol/request_header.hpp"
#include "storage/file.hpp"

namespace minikafka {

// A slice sits at a position *inside* the reply, not at its end: a Fetch answer for two partitions
// is [header][partition 1 fields][records 1 from file][partition 2 fields][records 2 from file].
// The writer sends bytes() up to `at`, then the file range, then carries on.
struct FileSlice {
    std::shared_ptr<const File> file;
    int64_t position = 0;  // where the bytes start in the file
    uint32_t size = 0;
    size_t at = 0;  // where they belong in the reply: after this many bytes of bytes()
};

class Reply : public std::enable_shared_from_this<Reply> {
public:
    // The session starts every reply with the size placeholder and the response header.
    void start(const RequestHeader& request) {
        bytes_.clear();
        slices_.clear();
        file_bytes_ = 0;
        held_bytes = 0;
        ready_ = omitted_ = deferred_ = postponed_ = false;
        at_turn_ = true;  // unless the session says otherwise (a listener without a queue never does)
        KafkaWriter out(bytes_);
        out.i32(0);  // patched in finish()
        encode_response_header(out, request);
    }

    KafkaWriter writer() { return KafkaWriter(bytes_); }
    mb::ByteBuffer& bytes() { return bytes_; }
    const mb::ByteBuffer& bytes() const { return bytes_; }
    const std::vector<FileSlice>& slices() const { return slices_; }

    // `size` bytes of `file` from `position` belong here, at the current end of bytes().
    void add_file_slice(std::shared_ptr<const File> file, int64_t position, uint32_t size) {
        slices_.push_back({std::move(file), position, size, bytes_.size()});
        file_bytes_ += size;
    }
    uint64_t size() const { return bytes_.size() + file_bytes_; }

    // The handler answers later; keep the returned pointer and call finish() then.
    std::shared_ptr<Reply> defer() {
        deferred_ = true;
        return shared_from_this();
    }
    bool deferred() const { return deferred_; }

    // Set by the session before the handler runs: is every earlier reply on this connection
    // ready? Only then is this answer the next to leave.
    void set_at_turn(bool at_turn) { at_turn_ = at_turn; }
    bool at_turn() const { return at_turn_; }

    // Not at its turn, the handler does nothing yet (it must not have changed any state): the
    // session keeps the request's bytes and runs the handler again when it is.
    void postpone() { postponed_ = true; }
    bool postponed() const { return postponed_; }
    std::string request_frame;  // the postponed request, as it came off the socket
    // The session postpones a request without running it at all (one postponed earlier on the
    // connection has to run first): an empty reply that is not ready, started at its turn.
    void hold_for_turn() {
        bytes_.clear();
        slices_.clear();
        file_bytes_ = 0;
        held_bytes = 0;
        ready_ = omitted_ = deferred_ = false;
        postponed_ = true;
    }

    // No response for this request (Produce with acks=0).
    void omit() {
        omitted_ = true;
        finish();
    }
    bool omitted() const { return omitted_; }

    // Patch the size prefix and hand the reply to the session's writer. The prefix counts the file
    // slices too: the client must know the whole length, even of bytes we never hold in memory.
    void finish() {
        if (ready_) return;
        uint64_t total = size() - 4;
        mb::ByteWriter(bytes_).patch_u32(0, static_cast<uint32_t>(total));
        ready_ = true;
        if (on_ready) on_ready();
    }
    bool ready() const { return ready_; }

    std::function<void()> on_ready;  // set once by the session: "wake the writer"
    // The two byte counts are the session's back-pressure: a client that pipelines requests but
    // does not read its answers stops being read once they add up (server.cpp).
    size_t queued_bytes = 0;  // the session's count of buffered reply memory
    size_t held_bytes = 0;    // what a deferred handler keeps meanwhile (a parked Fetch)

private:
    mb::ByteBuffer bytes_;
    std::vector<FileSlice> slices_;
    uint64_t file_bytes_ = 0;
    bool ready_ = false;
    bool omitted_ = false;
    bool deferred_ = false;
    bool at_turn_ = true;
    bool postponed_ = false;
};

}  // namespace minikafka
