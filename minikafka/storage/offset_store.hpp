// minikafka/storage/offset_store.hpp
//
// CONCEPT: committed offsets must survive a broker restart (and a crash), or every consumer
// group would start over. Kafka writes each commit as a record to the internal, compacted
// topic __consumer_offsets and rebuilds its table by reading that log at startup. We keep the
// same idea - an append-only log of commits replayed at startup - in one small file:
//
//   <dir>/consumer-offsets.log     a sequence of records:
//     length UINT32 | crc32c UINT32 (of the payload) | payload:
//       group STRING | topic STRING | partition INT32 | offset INT64 | leader_epoch INT32
//       | commit_timestamp INT64 | metadata NULLABLE_STRING
//
// The last record for a (group, topic, partition) wins; a record with offset -1 is a tombstone
// (the topic was deleted: forget the offset). A record cut short by a crash fails
// its length or CRC check and is dropped (with everything after it) when the file is read.
// When most records are superseded, the file is rewritten with only the live ones (Kafka's
// log compaction, done wholesale): written to a temporary file, fsynced, renamed over.
// A commit is answered once the fsync covering its record is done (group commit again).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "file.hpp"
#include "model/group_coordinator.hpp"

namespace minikafka {

struct OffsetRecord {
    std::string group;
    std::string topic;
    int32_t partition = 0;
    CommittedOffset value;
};

std::string encode_offset_record(const OffsetRecord& record);

class OffsetStore {
public:
    explicit OffsetStore(std::string path) : path_(std::move(path)) {}

    // Reads the file, calling `apply` for every intact record in order; a torn tail is cut off.
    // Returns how many bytes were cut.
    int64_t load(const std::function<void(OffsetRecord&&)>& apply);
    void append(const OffsetRecord& record);
    // Rewrites the file with just `live` if most of what it holds is superseded.
    void compact_if_worthwhile(const std::vector<OffsetRecord>& live);
    bool compaction_worthwhile(size_t live_records) const;

    const std::shared_ptr<File>& file() const { return file_; }

private:
    std::string path_;
    std::shared_ptr<File> file_;
    int64_t size_ = 0;
    size_t records_ = 0;
};

}  // namespace minikafka
