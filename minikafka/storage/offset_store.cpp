// minikafka/storage/offset_store.cpp
//
// CONCEPT: committed offsets survive a restart (offset_store.hpp): an append-only file of commit
// records with a CRC each, replayed at start (last record per key wins), compacted when most of
// it is superseded. It is Kafka's __consumer_offsets idea for a single broker, in one file.
//
//   commit ─▶ append record ─▶ fsync (background) ─▶ answer   |   start ─▶ replay ─▶ offsets table
//
// READ NEXT: handlers/offsets.cpp, docs/minikafka/02-formats.md "The committed offsets file".
#include "offset_store.hpp"

#include <fmt/format.h>

#include "crc32c.hpp"
#include "log.hpp"
#include "protocol/primitives.hpp"

namespace minikafka {

namespace {
constexpr size_t kRecordHeader = 8;  // length + crc
// A length above this is damage, not data: checking it before anything else means a flipped bit in
// a length field cannot make a start read (or allocate for) a huge record.
constexpr uint32_t kMaxPayload = 1024 * 1024;  // group/topic names and metadata are small
}  // namespace

std::string encode_offset_record(const OffsetRecord& record) {
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    out.u32(0);
    out.u32(0);
    out.string(record.group);
    out.string(record.topic);
    out.i32(record.partition);
    out.i64(record.value.offset);
    out.i32(record.value.leader_epoch);
    out.i64(record.value.commit_timestamp_ms);
    out.string(record.value.metadata);
    std::string bytes(buffer.readable());
    std::string_view payload = std::string_view(bytes).substr(kRecordHeader);
    mb::store_big_endian(bytes.data(), static_cast<uint32_t>(payload.size()));
    mb::store_big_endian(bytes.data() + 4, mb::crc32c(payload));
    return bytes;
}

namespace {

// The record at `at`, if it is intact: a believable length, within the file, its CRC32C, and a
// payload that parses. Otherwise what is wrong with it.
std::optional<std::string> check_record(std::string_view bytes, size_t at, OffsetRecord& record, size_t& size) {
    if (bytes.size() - at < kRecordHeader)
        return fmt::format("{} bytes left, too few for a record header", bytes.size() - at);
    uint32_t length = mb::load_big_endian<uint32_t>(bytes.data() + at);
    uint32_t crc = mb::load_big_endian<uint32_t>(bytes.data() + at + 4);
    if (length > kMaxPayload) return fmt::format("bad record length {}", length);
    if (bytes.size() - at - kRecordHeader < length)
        return fmt::format("record length {} runs past the end of the file", length);
    std::string_view payload(bytes.data() + at + kRecordHeader, length);
    if (mb::crc32c(payload) != crc) return std::string("CRC mismatch");
    KafkaReader in(payload);
    record.group = in.string();
    record.topic = in.string();
    record.partition = in.i32();
    record.value.offset = in.i64();
    record.value.leader_epoch = in.i32();
    record.value.commit_timestamp_ms = in.i64();
    record.value.metadata = in.string();
    if (!in.ok()) return std::string("the record's fields do not parse");
    size = kRecordHeader + length;
    return std::nullopt;
}

}  // namespace

int64_t OffsetStore::load(const std::function<void(OffsetRecord&&)>& apply) { return read(apply, false, nullptr); }

std::optional<RepairAction> OffsetStore::repair() {
    std::optional<RepairAction> cut;
    read([](OffsetRecord&&) {}, true, &cut);
    if (cut) file_->sync();
    return cut;
}

// The whole file is read into memory at start: it holds only the latest commits (compaction keeps
// it small), and a single pass can then tell a torn tail from corruption by looking past the bad
// record. Records are applied only after the whole file checked out, so a start that refuses
// (CorruptFileError) leaves no half-loaded offsets behind.
int64_t OffsetStore::read(const std::function<void(OffsetRecord&&)>& apply, bool repair,
                          std::optional<RepairAction>* cut) {
    file_ = std::make_shared<File>(File::open(path_, true));
    std::string bytes(static_cast<size_t>(file_->size()), '\0');
    bytes.resize(file_->read_at(0, bytes.data(), bytes.size()));
    size_t at = 0;
    size_t size = 0;
    records_ = 0;
    std::optional<std::string> problem;
    std::vector<OffsetRecord> intact;  // applied only once the whole file checked out
    for (OffsetRecord record; at < bytes.size(); at += size, ++records_) {
        if ((problem = check_record(bytes, at, record, size))) break;
        intact.push_back(std::move(record));
    }
    if (problem) {
        // Anything intact after the bad record? Then it is not the end of an interrupted append.
        int64_t records_after = 0;
        OffsetRecord ignored;
        for (size_t q = at + 1; q < bytes.size(); ++q)
            if (!check_record(bytes, q, ignored, size)) {
                ++records_after;
                q += size - 1;
            }
        Damage damage{path_, static_cast<int64_t>(at), *problem, records_after == 0};
        if (!damage.torn_tail && !repair) throw CorruptFileError(damage);
        std::string backup = repair ? keep_backup(path_) : std::string();
        int64_t dropped = static_cast<int64_t>(bytes.size() - at);
        file_->truncate(static_cast<int64_t>(at));
        if (cut) *cut = RepairAction{path_, damage.position, dropped, records_after, damage.what, backup};
        if (!repair)
            mb::log::warn("{}: torn tail at byte {} ({}): truncated {} bytes", path_, at, damage.what, dropped);
    }
    for (auto& record : intact) apply(std::move(record));
    size_ = static_cast<int64_t>(at);
    return static_cast<int64_t>(bytes.size() - at);
}

void OffsetStore::append(const OffsetRecord& record) {
    std::string bytes = encode_offset_record(record);
    file_->write_at(size_, bytes);
    size_ += static_cast<int64_t>(bytes.size());
    ++records_;
}

// Compact when the file is mostly superseded records (more than 4 per live one, past 1000): the
// rewrite costs a full write and an fsync, so it must be rare next to the appends it saves a start
// from replaying.
bool OffsetStore::compaction_worthwhile(size_t live_records) const {
    return records_ > 1000 && records_ > 4 * live_records;
}

void OffsetStore::compact_if_worthwhile(const std::vector<OffsetRecord>& live) {
    if (!compaction_worthwhile(live.size())) return;
    std::string content;
    for (const auto& record : live) content += encode_offset_record(record);
    write_file_atomically(path_, content);
    file_ = std::make_shared<File>(File::open(path_, false));
    size_ = static_cast<int64_t>(content.size());
    mb::log::info("{}: compacted {} records to {}", path_, records_, live.size());
    records_ = live.size();
}

}  // namespace minikafka
