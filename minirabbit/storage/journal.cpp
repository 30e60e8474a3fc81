// minirabbit/storage/journal.cpp
//
// The message journal: record encoding, recovery, group commit, compaction (see journal.hpp).
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
//   recovery:  read record ──crc ok──▶ apply (publish: keep; remove: forget)
//                          ──bad──▶ any valid record later? corruption: refuse to start
//                                                           none: torn tail, truncate and log
// READ NEXT: definitions.cpp (the other file), repair.cpp, common/crc32c.hpp.
#include "journal.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "big_endian.hpp"
#include "crc32c.hpp"
#include "journal_records.hpp"
#include "log.hpp"
#include "model/broker.hpp"
#include "protocol/content_header.hpp"

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

// The message of the publish record at `offset` of a whole journal file (checked by the scan).
MessageRef message_at(std::string_view contents, uint64_t offset) {
    mb::ByteReader in(contents.substr(offset + 8));
    in.u8();
    in.u64();
    in.u64();
    std::string_view exchange = in.bytes(in.u8());
    std::string_view routing_key = in.bytes(in.u8());
    std::string_view properties = in.bytes(in.u32());
    std::string_view body = in.bytes(in.u32());
    auto props = amqp::decode_properties(properties);
    return Message::make(
        Message::Fields{exchange, routing_key, properties, body, true, props ? props->priority : uint8_t{0}, -1});
}

// The journal file mapped read-only for the replay. Reading it into a string made recovery hold
// the whole file in anonymous memory - 1.2 GB for a million 1 KB messages, all at once, on the
// way to a queue that then keeps only ~100 bytes per message: a durable queue could grow past RAM
// but not restart. Mapped, the bytes stay in the page cache, nothing is copied, and the pages the
// scan has passed are dropped from our resident set as it goes (release_before): the replay's
// footprint is a window, not the file. Pages read again later (a queue head's bodies) just fault
// back in from the cache.
class MappedFile {
public:
    explicit MappedFile(const std::string& path) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT) die("open " + path);
            return;  // no journal yet: an empty one
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0) die("stat " + path);
        if (st.st_size > 0) {
            void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) die("mmap " + path);
            data_ = static_cast<const char*>(p);
            size_ = static_cast<size_t>(st.st_size);
            ::madvise(p, size_, MADV_SEQUENTIAL);  // read ahead generously, one pass front to back
        }
        ::close(fd);
    }
    ~MappedFile() { unmap(); }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::string_view bytes() const { return {data_, size_}; }

    // The scan is past `upto`: drop the whole pages before it from the resident set, every
    // kReleaseStep bytes. The mapping is private and never written, so MADV_DONTNEED only forgets
    // our page table entries; the file's pages stay in the page cache.
    void release_before(const char* upto) {
        static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
        const size_t end = static_cast<size_t>(upto - data_) / page * page;
        if (end < released_ + kReleaseStep) return;
        ::madvise(const_cast<char*>(data_) + released_, end - released_, MADV_DONTNEED);
        released_ = end;
    }

    void unmap() {
        if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
        data_ = nullptr;
        size_ = 0;
    }

private:
    static constexpr size_t kReleaseStep = 8 << 20;
    const char* data_ = nullptr;
    size_t size_ = 0;
    size_t released_ = 0;
};

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

// Checks the record at the start of `rest`: returns its size (header included) when it is whole
// and valid, else 0 with `problem` saying why. The shape is checked before the CRC: the fields of
// a publish record must add up to its length exactly, which random bytes almost never do, so the
// forward search below computes few CRCs even over megabytes of damage.
size_t check_record(std::string_view rest, std::string& problem) {
    mb::ByteReader header(rest);
    uint32_t length = header.u32();
    uint32_t crc = header.u32();
    if (!header.ok()) {
        problem = "record header cut short";
        return 0;
    }
    if (length == 0) {
        problem = "zero record length";
        return 0;
    }
    if (length > header.remaining()) {
        problem = fmt::format("record length {} does not fit the {} bytes left", length, header.remaining());
        return 0;
    }
    std::string_view payload = rest.substr(8, length);
    mb::ByteReader in(payload);
    uint8_t type = in.u8();
    in.u64();  // queue id
    if (type == kPublish) {
        in.u64();  // seq
        in.bytes(in.u8());
        in.bytes(in.u8());
        in.bytes(in.u32());
        in.bytes(in.u32());
    } else if (type == kRemove) {
        in.u64();
    } else if (type != kQueueDeleted) {
        problem = fmt::format("unknown record type {}", type);
        return 0;
    }
    if (!in.ok() || !in.at_end()) {
        problem = "record fields do not add up to its length";
        return 0;
    }
    if (mb::crc32c(payload) != crc) {
        problem = "checksum mismatch";
        return 0;
    }
    return 8 + size_t{length};
}

}  // namespace journal_records

// One scan serves recovery, --repair and the tests: it validates record after record, hands each
// good payload to `on_record`, and decides torn tail or corruption as journal.hpp explains.
JournalScan scan_journal(std::string_view contents, const std::function<void(std::string_view)>& on_record) {
    JournalScan scan;
    size_t pos = 0;
    // The file is created by rename() only once its magic is on disk, so a short magic is the
    // start of a file whose first write was cut: an empty journal. Any other start is not ours.
    if (contents.size() < kMagic.size() && kMagic.starts_with(contents)) {
        scan.verdict = contents.empty() ? JournalScan::Verdict::clean : JournalScan::Verdict::torn_tail;
        scan.problem = "journal header cut short";
        return scan;
    }
    if (!contents.starts_with(kMagic)) {
        scan.verdict = JournalScan::Verdict::corrupt;
        scan.problem = "bad magic (not a minirabbit journal)";
    } else {
        pos = kMagic.size();
        std::string problem;
        while (pos < contents.size()) {
            size_t size = check_record(contents.substr(pos), problem);
            if (size == 0) break;
            if (on_record) on_record(contents.substr(pos + 8, size - 8));
            ++scan.records;
            pos += size;
        }
        scan.good_end = pos;
        if (pos == contents.size()) return scan;
        scan.problem = std::move(problem);
    }
    // Torn tail or corruption? A crash only ever cuts the *last* write short, so a valid record
    // anywhere after the bad spot proves the damage came from elsewhere. Every later offset is a
    // candidate (the bad record's own length field cannot be trusted to say where the next starts).
    std::string ignored;
    for (size_t at = scan.good_end + 1; at < contents.size();) {
        size_t size = check_record(contents.substr(at), ignored);
        if (size == 0) {
            ++at;
            continue;
        }
        ++scan.records_after;
        at += size;
    }
    if (scan.verdict != JournalScan::Verdict::corrupt)
        scan.verdict = scan.records_after ? JournalScan::Verdict::corrupt : JournalScan::Verdict::torn_tail;
    return scan;
}

// --repair for the journal: the same scan as recovery, then backup + truncate at the first bad
// record (common/file_repair.hpp). Records after a corrupt spot are cut too - they cannot be
// trusted to start where the damaged record's length says - and the report counts them.
RepairOutcome repair_journal(const std::string& directory) {
    RepairOutcome r;
    r.file = directory + "/journal.log";
    std::ifstream file(r.file, std::ios::binary);
    if (!file) return r;
    std::string contents((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    JournalScan scan = scan_journal(contents);
    if (scan.verdict == JournalScan::Verdict::clean) return r;
    r.damaged = true;
    r.offset = scan.good_end;
    r.problem = scan.verdict == JournalScan::Verdict::torn_tail ? "torn tail (" + scan.problem + ")" : scan.problem;
    r.bytes_cut = contents.size() - scan.good_end;
    r.records_cut = scan.records_after;
    r.backup = keep_backup(r.file);
    truncate_file(r.file, scan.good_end);
    r.repaired = true;
    return r;
}

Journal::Journal(std::string directory, uint64_t compact_min_bytes)
    : path_(directory + "/journal.log"), directory_(std::move(directory)), compact_min_bytes_(compact_min_bytes) {}

Journal::~Journal() {
    stop();
    if (read_fd_ >= 0) ::close(read_fd_);
}

// Start-up: replay the whole file (mapped, a window of it resident at a time) into a map
// queue -> seq -> message (a remove erases, a queue deletion drops them all), hand the survivors
// to their queues, then go on appending - or write a fresh file holding only those when the rules
// below ask for it. A torn tail never survives a restart.
Journal::RecoveryStats Journal::recover(Broker& broker) {
    RecoveryStats stats;
    std::unordered_map<uint64_t, std::map<uint64_t, Live>> found;
    // The file, mapped (MappedFile above: no copy, and a resident window rather than the file).
    MappedFile file(path_);
    std::string_view contents = file.bytes();
    // One pass validates and replays: every record handed over here is whole and checksummed.
    JournalScan scan = scan_journal(contents, [&](std::string_view payload) {
        mb::ByteReader in(payload);
        uint8_t type = in.u8();
        uint64_t queue_id = in.u64();
        if (type == kPublish) {
            uint64_t seq = in.u64();
            std::string_view exchange = in.bytes(in.u8());
            std::string_view routing_key = in.bytes(in.u8());
            std::string_view properties = in.bytes(in.u32());
            std::string_view body = in.bytes(in.u32());
            auto props = amqp::decode_properties(properties);
            // Where the record starts in the file: a paged body is read back from there.
            const auto offset = static_cast<uint64_t>(payload.data() - contents.data()) - 8;
            // Every message starts paged (header only); the head of each queue, up to its body
            // budget, gets its body back from `contents` below. Making full messages here and
            // paging them later left the small headers scattered over the freed bodies' pages,
            // which the allocator then could not give back: the resident set stayed the size of
            // the backlog. (And it copied every body once for nothing.)
            const Message::Fields header{
                exchange, routing_key, properties, {}, true, props ? props->priority : uint8_t{0}, -1};
            found[queue_id][seq] = Live{Message::make_paged(header, body.size()), offset, 0};
        } else if (type == kRemove) {
            uint64_t seq = in.u64();
            if (auto it = found.find(queue_id); it != found.end()) it->second.erase(seq);
        } else if (type == kQueueDeleted) {
            found.erase(queue_id);
        }
        file.release_before(payload.data());
    });
    stats.records = scan.records;
    // Corruption: stop here, before the rewrite below would replace the evidence with what little
    // was read. The operator decides (minirabbit --repair), not the broker.
    if (scan.verdict == JournalScan::Verdict::corrupt)
        throw std::runtime_error(fmt::format(
            "{}: corrupt at byte {}: {} ({} valid records follow it); refusing to start (run 'minirabbit --repair' "
            "to truncate it there, keeping a backup)",
            path_, scan.good_end, scan.problem, scan.records_after));
    stats.torn_bytes = contents.size() - scan.good_end;
    if (stats.torn_bytes)
        mb::log::warn("journal: {}: dropped a torn tail of {} bytes at byte {} ({}) after {} good records", path_,
                      stats.torn_bytes, scan.good_end, scan.problem, stats.records);
    // Hand the survivors to their queues, in seq order (the inner map is sorted).
    for (const auto& [vhost_name, vhost] : broker.vhosts()) {
        for (const auto& [name, queue] : vhost->queues()) {
            if (!queue->durable() || queue->store_id == 0) continue;
            auto it = found.find(queue->store_id);
            if (it == found.end()) continue;
            uint64_t resident = 0;
            for (auto& [seq, live] : it->second) {
                const uint64_t size = live.message->body_size();
                if (broker.queue_body_budget == UINT64_MAX || resident + size <= broker.queue_body_budget) {
                    live.message = message_at(contents, live.offset);  // within the budget: in RAM
                    resident += size;
                } else {
                    ++paged_;
                }
                queue->restore(live.message, seq);
                live_bytes_ += 8 + publish_payload_size(*live.message);
                ++stats.messages;
            }
            live_[queue->store_id] = std::move(it->second);
            found.erase(it);
        }
    }
    // Keep the file and append to it, unless it must be rewritten. Rewriting on every start (what
    // this did first) copies every live message once more - a second pass over a gigabyte for a
    // gigabyte backlog, which made restart time grow twice as fast as the replay itself. A rewrite
    // is needed only when
    //   - there is no valid file yet (missing, or cut inside the magic),
    //   - messages of queues that no longer exist remain (`found` still holds some): a later queue
    //     could be given their store id and inherit them,
    //   - the file is mostly garbage: the compaction rule of compact_if_needed().
    // A torn tail alone is cut off in place (truncate + fsync): appending after it would turn the
    // half record into corruption in the middle of the file.
    const bool orphans = std::any_of(found.begin(), found.end(), [](const auto& q) { return !q.second.empty(); });
    const bool mostly_garbage = scan.good_end >= compact_min_bytes_ && live_bytes_ * 4 <= scan.good_end;
    file.unmap();  // the replay is over: the image goes (everything below reads with pread)
    contents = {};
    if (scan.good_end < kMagic.size() || orphans || mostly_garbage) {
        mb::ByteBuffer fresh;
        serialize_live(fresh, 0);  // written below, synchronously: on disk at once
        write_new_file(fresh.readable());
        if (read_fd_ >= 0) {  // it read paged records from the old file: the new one has new offsets
            ::close(read_fd_);
            read_fd_ = -1;
        }
        file_bytes_ = fresh.size();
        stats.rewritten = true;
    } else {
        if (stats.torn_bytes) mb::truncate_file(path_, scan.good_end);
        fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd_ < 0) die("open " + path_);
        file_bytes_ = scan.good_end;
    }
    // Every record is on disk now: queues restored past their body budget drop those bodies here.
    refresh_read_fd();
    broker.page_out(*this);
    return stats;
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
