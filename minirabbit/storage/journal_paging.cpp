// minirabbit/storage/journal_paging.cpp - bodies out of RAM: a paged message read back from the journal.
//
// CONCEPT: a queue longer than memory. A persistent message is already in this file, so once its
// record is on disk the queue may drop the body and keep only where the record is (Live::offset);
// delivery reads it back with one pread. That is RabbitMQ's lazy / version-2 classic queue idea:
// memory per message becomes an index entry, and a backlog is bounded by disk, not RAM.
//
//   queue:  [m1 full][m2 full][m3 paged][m4 paged] ...      live_: seq -> {message, offset}
//                                 │                                          │
//   delivery of m3 ──▶ load() ──▶ pread(journal.log, offset of m3, size) ◀───┘ ──▶ CRC ──▶ full m3
//
// Rules that keep a read-back correct:
// - only a record that is on disk can be paged: its position was fsynced (durable_at <= synced())
//   and no rewrite of the file is in flight (offsets would point into a file not written yet);
// - the read side has its own descriptor, reopened after a rewrite (rename) so it sees the new file;
// - a compaction copies paged records from the old file into the new one (serialize_live), and if
//   any exist it waits for the new file before reading from it again (compact_if_needed).
// The record is checked again when read back (length, CRC, queue and seq): a disk that returns
// something else is a broken promise, and the broker stops rather than deliver garbage.
// READ NEXT: journal.cpp (synced(): when a record may be paged; compaction), model/broker.hpp
//            (page_out after each fsync), model/queue.hpp (which messages a queue pages).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "big_endian.hpp"
#include "journal.hpp"
#include "journal_records.hpp"
#include "log.hpp"
#include "model/queue.hpp"

namespace minirabbit {

using namespace journal_records;

void Journal::refresh_read_fd() {
    const uint64_t done = rewrites_done_.load(std::memory_order_acquire);
    if (read_fd_ >= 0 && done == read_fd_rewrites_) return;
    if (read_fd_ >= 0) ::close(read_fd_);
    read_fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (read_fd_ < 0) die("open " + path_ + " for reading");
    read_fd_rewrites_ = done;
}

std::string_view Journal::read_record(const Live& live, uint64_t queue_id, uint64_t seq) {
    refresh_read_fd();
    const size_t size = 8 + publish_payload_size(*live.message);
    read_buffer_.resize(size);
    size_t got = 0;
    while (got < size) {
        ssize_t n = ::pread(read_fd_, read_buffer_.data() + got, size - got, static_cast<off_t>(live.offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die(fmt::format("read back {} bytes at {} of {}", size, live.offset, path_));
        got += static_cast<size_t>(n);
    }
    // Whole and intact (length, shape, CRC), and the one asked for: a publish of this queue and seq.
    std::string problem;
    mb::ByteReader id(std::string_view(read_buffer_).substr(8));
    const uint8_t type = id.u8();
    const uint64_t found_queue = id.u64(), found_seq = id.u64();
    if (check_record(read_buffer_, problem) != size || type != kPublish || found_queue != queue_id ||
        found_seq != seq) {
        mb::log::error("journal: {}: the record read back at byte {} is not queue {} message {} ({})", path_,
                       live.offset, queue_id, seq, problem.empty() ? "another record" : problem);
        std::abort();
    }
    return read_buffer_;
}

MessageStore::PageOut Journal::page_out(const Queue& queue, QueuedMessage& message) {
    auto by_queue = live_.find(queue.store_id);
    if (by_queue == live_.end()) return PageOut::not_stored;
    auto it = by_queue->second.find(message.seq);
    if (it == by_queue->second.end()) return PageOut::not_stored;
    Live& live = it->second;
    if (!live.message->body_paged()) {
        if (live.durable_at > synced() || rewrites_done_.load(std::memory_order_acquire) != rewrites_requested_)
            return PageOut::not_on_disk_yet;
        live.message = Message::make_paged(*live.message);
        ++paged_;
    }
    message.message = live.message;  // the queue's full copy goes: the body's memory is freed
    return PageOut::paged;
}

MessageRef Journal::load(const Queue& queue, const QueuedMessage& message) {
    const Live* live = nullptr;
    if (auto by_queue = live_.find(queue.store_id); by_queue != live_.end())
        if (auto it = by_queue->second.find(message.seq); it != by_queue->second.end()) live = &it->second;
    if (live == nullptr) {
        mb::log::error("journal: queue {} asked for message {}, which the journal does not hold", queue.name(),
                       message.seq);
        return message.message;
    }
    if (!live->message->body_paged()) return live->message;
    mb::ByteReader in(read_record(*live, queue.store_id, message.seq).substr(8));
    in.u8();   // type: publish (read_record checked it, the queue and the seq)
    in.u64();  // queue id
    in.u64();  // seq
    std::string_view exchange = in.bytes(in.u8());
    std::string_view routing_key = in.bytes(in.u8());
    std::string_view properties = in.bytes(in.u32());
    std::string_view body = in.bytes(in.u32());
    const Message& paged = *live->message;
    return Message::make(
        Message::Fields{exchange, routing_key, properties, body, true, paged.priority(), paged.ttl_ms()});
}

}  // namespace minirabbit
