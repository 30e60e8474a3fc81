// minirabbit/storage/journal.hpp
//
// CONCEPT: the message journal - how persistent messages survive a crash.
//
// A persistent message (delivery-mode 2) in a durable queue is appended to journal.log before the
// publisher is told "got it"; when the message is acked (or dropped), a small remove record follows.
// On restart, replaying the file gives back exactly the messages that were never removed.
//
//   file   = "MRJOURN1" then records, appended only
//   record = length u32 | crc32c u32 | payload (length bytes)
//   payload:
//     1 publish   queue-id u64 | seq u64 | exchange shortstr | routing-key shortstr |
//                 properties (u32 length + raw bytes) | body (u32 length + bytes)
//     2 remove    queue-id u64 | seq u64
//     3 queue-deleted  queue-id u64
//
// - Crash safety: a crash can cut the last record short. Recovery checks each record's length,
//   shape and CRC. At the first bad one it looks further: if any valid record follows, the bad one
//   is *corruption* (a disk or a hand damaged the middle of the file) and the broker refuses to
//   start, naming the file and byte, without touching the file; if nothing valid follows, it is a
//   *torn tail* (the crash's half-written last write), which is dropped and logged. `minirabbit
//   --repair` truncates a corrupt journal explicitly, after keeping a backup (storage/repair.hpp).
// - Group commit: appends go to a buffer on the broker thread; a sync thread writes the buffer and
//   fsyncs, over and over. While one fsync runs, the next batch collects - under load, one fsync
//   covers thousands of messages. Publisher confirms for persistent messages wait for the fsync that
//   covers them (positions: appended() -> synced()).
// - Compaction: remove records make the file mostly garbage over time. When the file is big and
//   less than a quarter of it is live, the live messages are rewritten to a fresh file (write temp,
//   fsync, rename) and appending continues there. Recovery appends to the file it replayed, and
//   rewrites it only when that rule (or a deleted queue's leftovers) asks for it.
// - Bodies out of RAM: the journal remembers where each live record starts. A queue over its body
//   budget drops a body once its record is on disk (page_out), and the journal reads the record
//   back when the message is delivered (load, one pread) - a queue may hold more than RAM.
// REAL RABBITMQ: a shared message store plus per-queue indexes, with similar fsync batching.
//
//   broker thread: append(rec) ──▶ buffer ──(hand over)──▶ sync thread: write + fsync ──▶ synced(pos)
//                                                                     └▶ confirms up to pos go out
// READ NEXT: journal.cpp, journal_recovery.cpp, journal_paging.cpp, repair.hpp, docs/minirabbit/02-formats.md (the
// journal).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "byte_buffer.hpp"
#include "model/message.hpp"
#include "model/message_store.hpp"
#include "repair.hpp"

namespace minirabbit {

class Broker;

// What one pass over a journal file found; recovery and repair share it.
//
//   MRJOURN1 [rec][rec][rec][ ~~bad~~ ][rec][rec]    -> corrupt   at good_end (valid records follow)
//   MRJOURN1 [rec][rec][rec][re                      -> torn_tail at good_end (nothing valid after)
struct JournalScan {
    enum class Verdict { clean, torn_tail, corrupt };
    Verdict verdict = Verdict::clean;
    uint64_t good_end = 0;       // bytes of whole, valid records from the start (the magic included)
    uint64_t records = 0;        // valid records before good_end
    std::string problem;         // what is wrong at good_end ("checksum mismatch", ...)
    uint64_t records_after = 0;  // valid records found after good_end (what a repair gives up)
};

// Walks `contents` (a whole journal file), calling `on_record` with the payload of every valid
// record before the first bad spot. Reads only: never changes the file.
JournalScan scan_journal(std::string_view contents,
                         const std::function<void(std::string_view payload)>& on_record = nullptr);

// `minirabbit --repair`: truncates <directory>/journal.log at its first bad byte (torn tail or
// corruption) after keeping a backup. A missing or clean journal is left alone.
RepairOutcome repair_journal(const std::string& directory);

class Journal final : public MessageStore {
public:
    // `compact_min_bytes`: below this size the file is never compacted (tests pass a small value).
    explicit Journal(std::string directory, uint64_t compact_min_bytes = 64ull << 20);
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    // Replays journal.log into the broker's durable queues (matched by store id), truncating a torn
    // tail, then goes on appending to the same file - or rewrites it with only the live messages
    // when it is missing, mostly garbage, or holds messages of queues that are gone. Call before
    // start(). Throws std::runtime_error, leaving the file as it was, when the journal is corrupt.
    struct RecoveryStats {
        size_t records = 0, messages = 0, torn_bytes = 0;
        bool rewritten = false;  // a fresh file was written (else the old one is appended to)
    };
    RecoveryStats recover(Broker& broker);

    // What one write + fsync of the sync thread covered: the group commit, made visible (--trace).
    struct Synced {
        uint64_t position = 0;                // on disk up to here: confirms waiting for it can go
        uint64_t publishes = 0, removes = 0;  // records in this batch (a remove = an ack, drop or expiry)
        uint64_t bytes = 0;
        bool rewrite = false;          // a compaction: the batch was a whole new file
        std::string describe() const;  // the trace line: "journal write publishes=... -> fdatasync -> ..."
    };
    // Starts the sync thread. `on_synced` runs on that thread after each fsync; the server posts it
    // to the broker thread.
    void start(std::function<void(const Synced&)> on_synced);
    // Hands what was appended since the last call to the sync thread (once per read batch).
    void flush();
    // Rewrites the file if it is mostly garbage (checked on the server's tick).
    void compact_if_needed();
    // Flushes, waits for the last fsync, stops the thread.
    void stop();

    // MessageStore
    void enqueued(const Queue& queue, const QueuedMessage& message) override;
    void removed(const Queue& queue, const QueuedMessage& message) override;
    void queue_deleted(const Queue& queue) override;
    // Positions are how a confirm waits without a callback per message: a channel notes appended()
    // when it publishes a persistent message, and sends basic.ack once synced() has reached that
    // number. Positions count bytes ever appended, so they only grow - also across a compaction, which
    // rewrites the file but not the sequence of promises.
    //
    //   publish m1 (appended 120) ─┐
    //   publish m2 (appended 240) ─┴─▶ sync thread: write + fdatasync ─▶ synced = 240 ─▶ ack m1, m2
    //   publish m3 (appended 360)  ... arrived during that fsync: acked after the next one
    uint64_t appended() const override { return appended_; }
    uint64_t synced() const override { return synced_.load(std::memory_order_acquire); }
    // Bodies out of RAM (journal_paging.cpp).
    PageOut page_out(const Queue& queue, QueuedMessage& message) override;
    MessageRef load(const Queue& queue, const QueuedMessage& message) override;
    size_t paged_messages() const { return paged_; }  // live messages whose body is on disk only

    const std::string& path() const { return path_; }
    uint64_t file_bytes() const { return file_bytes_; }
    uint64_t live_bytes() const { return live_bytes_; }

private:
    // A live message: the message (full, or paged: no body), where its record starts in the
    // current file, and the position synced() must reach before that record can be read back.
    struct Live {
        MessageRef message;
        uint64_t offset = 0;
        uint64_t durable_at = 0;
    };
    // Magic + one publish record per live message; moves every entry's offset into the new file.
    void serialize_live(mb::ByteBuffer& out, uint64_t durable_at);
    // pread + check (intact, and the publish of this queue and seq): the whole record, header included.
    std::string_view read_record(const Live& live, uint64_t queue_id, uint64_t seq);
    void refresh_read_fd();                          // (re)open the read side after a rewrite
    void wait_for_rewrite();                         // until the sync thread has put the new file in place
    void write_new_file(std::string_view contents);  // temp file, fsync, rename, fsync directory
    void sync_loop();

    std::string path_;
    std::string directory_;
    uint64_t compact_min_bytes_;
    int fd_ = -1;
    mb::ByteBuffer local_;                              // broker thread: records not yet handed over
    uint64_t local_publishes_ = 0, local_removes_ = 0;  // ... and how many of each kind (for --trace)
    uint64_t appended_ = 0;                             // logical position: bytes ever appended (broker thread)
    uint64_t file_bytes_ = 0;                           // size of journal.log as it will be once written
    uint64_t live_bytes_ = 0;                           // bytes of publish records not removed yet
    // The live messages, by queue id and seq: what a compaction writes (the queues hold the same
    // MessageRefs, so this costs an index entry per message, not a copy of it).
    std::unordered_map<uint64_t, std::map<uint64_t, Live>> live_;
    size_t paged_ = 0;  // entries whose message is paged
    // The read side (broker thread): its own descriptor, and which rewrite it was opened after.
    int read_fd_ = -1;
    uint64_t read_fd_rewrites_ = 0;
    uint64_t rewrites_requested_ = 0;  // compactions handed to the sync thread (broker thread)
    std::string read_buffer_;

    // Shared with the sync thread, under mutex_.
    std::mutex mutex_;
    std::condition_variable wake_;
    mb::ByteBuffer pending_;
    uint64_t pending_position_ = 0;  // appended_ as of the last flush()
    uint64_t pending_publishes_ = 0, pending_removes_ = 0;
    bool rewrite_pending_ = false;  // pending_ holds a whole new file, not an append
    bool stopping_ = false;
    std::atomic<uint64_t> synced_{0};
    std::atomic<uint64_t> rewrites_done_{0};  // compactions the sync thread has put in place
    std::function<void(const Synced&)> on_synced_;
    std::thread thread_;
};

}  // namespace minirabbit
