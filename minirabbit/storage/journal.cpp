// minirabbit/storage/journal.cpp
//
// The message journal's writing half: record encoding, group commit, compaction (see journal.hpp).
// Reading it back at start (scan, replay, repair) is journal_recovery.cpp; reading one paged body
// back is journal_paging.cpp.
//
// CONCEPT: a write-ahead log for messages, the same idea as Redis' AOF (miniredis/storage/aof.cpp)
// and a Kafka partition's segment (minikafka/storage/): append only, a checksum per record, replay
// on start. The durability promise is made by the ordering: a publisher's confirm (and a tx.commit)
// waits until synced() has passed its record's position, so "acknowledged" always means "on disk".
//
// Why a separate sync thread? fsync takes milliseconds; on the broker thread it would stall every
// connection. On its own thread it overlaps with the next batch being collected, and the broker
// thread only appends its batch to the pending buffer under the mutex (flush()) and goes on.
//
//   broker thread: enqueued/removed ──▶ local_ ──flush()──▶ pending_ ──▶ sync thread: write + fdatasync
//   compaction:    live set ──serialize_live──▶ pending_ (rewrite) ──▶ temp file, fsync, rename
// READ NEXT: journal_recovery.cpp (replay on start), definitions.cpp (the other file), repair.cpp,
//            common/crc32c.hpp.
#include "journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "big_endian.hpp"
#include "crc32c.hpp"
#include "journal_records.hpp"
#include "log.hpp"
#include "model/queue.hpp"

namespace minirabbit {

using namespace journal_records;

namespace {

// Writes the length and CRC prefix in front of a payload written by `fill`.
template <typename Fill>
void write_record(mb::ByteBuffer& out, Fill&& fill) {
    size_t start = out.size();
    mb::ByteWriter w(out);
    w.u32(0);
    w.u32(0);
    fill(w);
    size_t length = out.size() - start - 8;
    std::string_view payload(out.data() + start + 8, length);
    w.patch_u32(start, static_cast<uint32_t>(length));
    w.patch_u32(start + 4, mb::crc32c(payload));
}

// A publish record carries everything needed to rebuild the message without the definitions: the
// queue's store id (stable across restarts, unlike a pointer), the queue's seq (so restore() can
// put messages back in their original order), and the routing data, properties and body as bytes.
// A message routed to three durable queues is written three times - simpler than RabbitMQ's shared
// store with per-queue indexes, at the cost of disk bytes for fan-out.
void write_publish(mb::ByteBuffer& out, uint64_t queue_id, uint64_t seq, const Message& m) {
    write_record(out, [&](mb::ByteWriter& w) {
        w.u8(kPublish);
        w.u64(queue_id);
        w.u64(seq);
        w.u8(static_cast<uint8_t>(m.exchange().size()));
        w.bytes(m.exchange());
        w.u8(static_cast<uint8_t>(m.routing_key().size()));
        w.bytes(m.routing_key());
        w.u32(static_cast<uint32_t>(m.properties().size()));
        w.bytes(m.properties());
        w.u32(static_cast<uint32_t>(m.body().size()));
        w.bytes(m.body());
    });
}

// write(2) may write less than asked (a full disk, a signal): loop until every byte is out, retry on
// EINTR, and treat anything else as the journal failing (die, above).
void write_all(int fd, std::string_view bytes, const std::string& path) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("write " + path);
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

}  // namespace

namespace journal_records {

// Why abort instead of retrying? After a failed fsync the kernel may already have dropped the dirty
// pages (the lesson PostgreSQL learned in 2018, "fsyncgate"): a retry can report success for data
// that is gone. The only honest answer to publishers is to stop before confirming anything more.
[[noreturn]] void die(const std::string& what) {
    // The journal cannot keep its promise (disk full, I/O error): stop rather than confirm messages
    // that are not on disk. RabbitMQ also stops a node whose message store fails.
    mb::log::error("journal: {}: {}", what, std::strerror(errno));
    std::abort();
}

}  // namespace journal_records

Journal::Journal(std::string directory, uint64_t compact_min_bytes)
    : path_(directory + "/journal.log"), directory_(std::move(directory)), compact_min_bytes_(compact_min_bytes) {}

Journal::~Journal() {
    stop();
    if (read_fd_ >= 0) ::close(read_fd_);
}

// The live set as a fresh journal: the magic, then one publish record per message still owed to a
// consumer. What compaction and recovery write. Each entry's offset moves to its place in the new
// file, and it counts as on disk from `durable_at` on. A paged message's record is copied from the
// current file byte for byte (it is the same record: same queue id, seq, fields and body).
void Journal::serialize_live(mb::ByteBuffer& out, uint64_t durable_at) {
    out.append(kMagic);
    for (auto& [queue_id, messages] : live_)
        for (auto& [seq, live] : messages) {
            const uint64_t offset = out.size();
            if (live.message->body_paged())
                out.append(read_record(live, queue_id, seq));
            else
                write_publish(out, queue_id, seq, *live.message);
            live.offset = offset;
            live.durable_at = durable_at;
        }
}

// The crash-safe replace (the same four steps as the definitions file): temp file, fsync, rename,
// fsync the directory; then appending continues on the new file.
void Journal::write_new_file(std::string_view contents) {
    std::string temp = path_ + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die("open " + temp);
    write_all(fd, contents, temp);
    if (::fsync(fd) != 0) die("fsync " + temp);
    ::close(fd);
    // rename() is atomic: a crash leaves either the old file or the new one, never a mix. The
    // directory fsync makes the rename itself durable.
    if (::rename(temp.c_str(), path_.c_str()) != 0) die("rename " + temp);
    int dir = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) die("open " + path_);
}

// The --trace line for one sync: how many records one fdatasync covered - the number that shows
// group commit working (one sync per publish would make persistent publishing ~100x slower).
std::string Journal::Synced::describe() const {
    if (rewrite)
        return fmt::format("journal rewrite bytes={} -> new file, fsync, rename -> on disk up to position {}", bytes,
                           position);
    // The group commit in numbers: under load one fdatasync covers thousands of records.
    const uint64_t records = publishes + removes;
    return fmt::format(
        "journal write publishes={} removes={} bytes={} -> fdatasync covering {} record{} -> on disk "
        "up to position {}",
        publishes, removes, bytes, records, records == 1 ? "" : "s", position);
}

// The sync thread starts only after recovery, so recovery may write the file directly without
// locks; from here on only sync_loop touches the file descriptor.
void Journal::start(std::function<void(const Synced&)> on_synced) {
    on_synced_ = std::move(on_synced);
    thread_ = std::thread([this] { sync_loop(); });
}

// The three MessageStore hooks run on the broker thread and only append to local_: no system call
// on the hot path. flush() hands local_ to the sync thread once per read batch.
// The MessageStore hooks keep three counters in step with what they append: appended_ (the
// position a confirm waits for), live_bytes_ and file_bytes_ (whose ratio triggers compaction).
// store_id 0 means a transient queue: nothing to write. The emplace check makes a requeued message
// (enqueued again after a nack) cost nothing - it is already on disk.
void Journal::enqueued(const Queue& queue, const QueuedMessage& message) {
    if (queue.store_id == 0) return;
    auto [it, inserted] = live_[queue.store_id].emplace(message.seq, Live{message.message, file_bytes_, 0});
    if (!inserted) return;
    size_t before = local_.size();
    write_publish(local_, queue.store_id, message.seq, *message.message);
    it->second.durable_at = appended_ + (local_.size() - before);  // on disk once synced() reaches it
    ++local_publishes_;
    live_bytes_ += local_.size() - before;
    appended_ += local_.size() - before;
    file_bytes_ += local_.size() - before;
}

void Journal::removed(const Queue& queue, const QueuedMessage& message) {
    auto by_queue = live_.find(queue.store_id);
    if (by_queue == live_.end()) return;
    auto it = by_queue->second.find(message.seq);
    if (it == by_queue->second.end()) return;
    live_bytes_ -= 8 + publish_payload_size(*it->second.message);
    if (it->second.message->body_paged()) --paged_;
    by_queue->second.erase(it);
    size_t before = local_.size();
    write_record(local_, [&](mb::ByteWriter& w) {
        w.u8(kRemove);
        w.u64(queue.store_id);
        w.u64(message.seq);
    });
    ++local_removes_;
    appended_ += local_.size() - before;
    file_bytes_ += local_.size() - before;
}

// A deleted durable queue: one record instead of a remove per message - recovery drops everything
// of that queue id at once, and the live set forgets it now, so compaction will not copy it.
void Journal::queue_deleted(const Queue& queue) {
    auto by_queue = live_.find(queue.store_id);
    if (by_queue == live_.end()) return;
    for (const auto& [seq, live] : by_queue->second) {
        live_bytes_ -= 8 + publish_payload_size(*live.message);
        if (live.message->body_paged()) --paged_;
    }
    live_.erase(by_queue);
    size_t before = local_.size();
    write_record(local_, [&](mb::ByteWriter& w) {
        w.u8(kQueueDeleted);
        w.u64(queue.store_id);
    });
    appended_ += local_.size() - before;
    file_bytes_ += local_.size() - before;
}

// The hand-over to the sync thread, once per read batch: under the lock, append the batch and the
// position it reaches, then wake the thread. The lock is held for a memcpy, never for a system call.
void Journal::flush() {
    if (local_.empty()) return;
    std::lock_guard lock(mutex_);
    pending_.append(local_.readable());
    pending_position_ = appended_;
    pending_publishes_ += std::exchange(local_publishes_, 0);
    pending_removes_ += std::exchange(local_removes_, 0);
    local_.clear();
    wake_.notify_one();
}

// Compaction when the file is big and under a quarter live: the live set is serialised on the
// broker thread and handed over as a "rewrite" batch, so the sync thread writes the new file in the
// same ordered stream as ordinary appends - no second writer, no race with pending records.
void Journal::compact_if_needed() {
    if (file_bytes_ < compact_min_bytes_ || live_bytes_ * 4 > file_bytes_) return;
    // The previous rewrite is still being written: paged records cannot be copied from it yet.
    if (rewrites_done_.load(std::memory_order_acquire) != rewrites_requested_) return;
    mb::ByteBuffer fresh;
    serialize_live(fresh, appended_);
    mb::log::info("journal: compacting {} bytes down to {} live bytes", file_bytes_, fresh.size());
    {
        std::lock_guard lock(mutex_);
        // What was pending for the old file is already reflected in the live set: the new file
        // replaces it all. Anything appended after this point follows in pending_.
        local_.clear();
        local_publishes_ = local_removes_ = pending_publishes_ = pending_removes_ = 0;
        pending_ = std::move(fresh);
        pending_position_ = appended_;
        rewrite_pending_ = true;
        ++rewrites_requested_;
        file_bytes_ = pending_.size();
        wake_.notify_one();
    }
    if (paged_ > 0 && thread_.joinable()) wait_for_rewrite();
}

// With paged messages, their offsets now point into the new file: wait until it is in place (one
// write + fsync of the live set, on the broker thread - a pause RabbitMQ's message store avoids by
// compacting file by file in the background).
void Journal::wait_for_rewrite() {
    while (rewrites_done_.load(std::memory_order_acquire) != rewrites_requested_)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    refresh_read_fd();
}

// The sync thread: the only code that touches the file after start(). It owns nothing of the
// model; what it needs (bytes and a position) arrives under the mutex, what it reports (the synced
// position) leaves through an atomic and the on_synced callback.
void Journal::sync_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
        if (pending_.empty() && stopping_) break;
        mb::ByteBuffer batch;
        std::swap(batch, pending_);
        bool rewrite = rewrite_pending_;
        rewrite_pending_ = false;
        Synced synced{pending_position_, std::exchange(pending_publishes_, 0), std::exchange(pending_removes_, 0),
                      batch.size(), rewrite};
        lock.unlock();
        // Group commit: everything appended while the previous fsync ran goes in this one write.
        if (rewrite) {
            write_new_file(batch.readable());
            rewrites_done_.fetch_add(1, std::memory_order_release);  // reads may use the new file now
        } else {
            write_all(fd_, batch.readable(), path_);
            if (::fdatasync(fd_) != 0) die("fdatasync " + path_);
        }
        synced_.store(synced.position, std::memory_order_release);
        if (on_synced_) on_synced_(synced);
        lock.lock();
    }
}

// Shutdown: stop the thread after it has written and synced everything pending, so a clean stop
// never loses an acknowledged message.
void Journal::stop() {
    if (!thread_.joinable()) {
        if (fd_ >= 0) {
            // Never started (or already stopped): write what is buffered directly.
            if (!local_.empty()) {
                write_all(fd_, local_.readable(), path_);
                ::fdatasync(fd_);
                local_.clear();
            }
            ::close(fd_);
            fd_ = -1;
        }
        return;
    }
    flush();
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        wake_.notify_one();
    }
    thread_.join();
    ::close(fd_);
    fd_ = -1;
}

}  // namespace minirabbit
