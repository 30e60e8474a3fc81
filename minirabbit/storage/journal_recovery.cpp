// minirabbit/storage/journal_recovery.cpp - reading the journal back at start: scan, replay, repair.
//
// CONCEPT: recovery of durable queues from an append-only journal. The log is the truth; the
// queues in RAM are rebuilt from it on every start by replaying it front to back: a publish record
// keeps a message, a remove forgets it, a queue-deleted record forgets the whole queue. Every record
// is checked (length, shape, CRC) because the last write of a crash may be cut short, and a half
// record must be told apart from damage in the middle of the file (see journal.hpp).
//
// Why map the file instead of reading it? A read made recovery hold the whole file in anonymous
// memory at once - a queue could grow past RAM (journal_paging.cpp) but not restart. Mapped, the
// scan reads the page cache in place, and the pages behind it are dropped from our resident set
// every 8 MB: what stays resident is a window of the file, the head of each queue up to its body
// budget, and the small headers of the paged rest.
//
//   journal.log (mapped) ──scan──▶ record ──crc ok──▶ apply (publish: keep; remove: forget)
//        [released][ 8 MB window ][ not yet read ]  ──bad──▶ valid record later? corrupt: refuse to start
//                                                                        none: torn tail, cut it off
//   survivors ──▶ queues (head within budget: body from the mapping; rest: paged, offset only)
//             ──▶ append to the same file, or rewrite it (serialize_live, journal.cpp) when needed
//
// The same scan serves `minirabbit --repair` (repair_journal) and the tests (scan_journal).
// READ NEXT: journal.cpp (writing, group commit, compaction), journal_paging.cpp (reading a paged
//            body back), journal_records.hpp (the record format), repair.cpp.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "big_endian.hpp"
#include "crc32c.hpp"
#include "journal.hpp"
#include "journal_records.hpp"
#include "log.hpp"
#include "model/broker.hpp"
#include "protocol/content_header.hpp"

namespace minirabbit {

using namespace journal_records;

namespace {

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

}  // namespace minirabbit
