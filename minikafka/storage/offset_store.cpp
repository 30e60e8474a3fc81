// The committed-offsets file (see offset_store.hpp for its format).
#include "offset_store.hpp"

#include "crc32c.hpp"
#include "log.hpp"
#include "protocol/primitives.hpp"

namespace minikafka {

namespace {
constexpr size_t kRecordHeader = 8;            // length + crc
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

int64_t OffsetStore::load(const std::function<void(OffsetRecord&&)>& apply) {
    file_ = std::make_shared<File>(File::open(path_, true));
    std::string bytes(static_cast<size_t>(file_->size()), '\0');
    bytes.resize(file_->read_at(0, bytes.data(), bytes.size()));
    size_t at = 0;
    records_ = 0;
    while (bytes.size() - at >= kRecordHeader) {
        uint32_t length = mb::load_big_endian<uint32_t>(bytes.data() + at);
        uint32_t crc = mb::load_big_endian<uint32_t>(bytes.data() + at + 4);
        if (length > kMaxPayload || bytes.size() - at - kRecordHeader < length) break;
        std::string_view payload(bytes.data() + at + kRecordHeader, length);
        if (mb::crc32c(payload) != crc) break;
        KafkaReader in(payload);
        OffsetRecord record;
        record.group = in.string();
        record.topic = in.string();
        record.partition = in.i32();
        record.value.offset = in.i64();
        record.value.leader_epoch = in.i32();
        record.value.commit_timestamp_ms = in.i64();
        record.value.metadata = in.string();
        if (!in.ok()) break;
        apply(std::move(record));
        ++records_;
        at += kRecordHeader + length;
    }
    int64_t cut = static_cast<int64_t>(bytes.size() - at);
    if (cut > 0) {
        mb::log::warn("{}: dropped {} bytes of a torn or corrupt tail", path_, cut);
        file_->truncate(static_cast<int64_t>(at));
    }
    size_ = static_cast<int64_t>(at);
    return cut;
}

void OffsetStore::append(const OffsetRecord& record) {
    std::string bytes = encode_offset_record(record);
    file_->write_at(size_, bytes);
    size_ += static_cast<int64_t>(bytes.size());
    ++records_;
}

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
