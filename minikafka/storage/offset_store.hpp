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
// (the topic was deleted: forget the offset). Every record has carried its own CRC32C from the
// first version of this file, so there is no format version to bump: old files load as they are.
// A bad record (length, CRC, or a payload that does not parse) is told apart as corruption.hpp
// says: with nothing intact after it, it is a crash's torn tail, cut off with a warning; with an
// intact record after it, it is corruption - the start stops (CorruptFileError), file untouched.
// When most records are superseded, the file is rewritten with only the live ones (Kafka's
// log compaction, done wholesale): written to a temporary file, fsynced, renamed over.
// A commit is answered once the fsync covering its record is done (group commit again).
// READ NEXT: offset_store.cpp, core/offsets_topic.hpp (the same idea, replicated, in a cluster).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "corruption.hpp"
#include "file.hpp"
#include "model/group_coordinator.hpp"
#include "partition_log.hpp"

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

    // Reads the file, calling `apply` for every intact record in order; a torn tail is cut off,
    // corruption throws CorruptFileError. Returns how many bytes were cut.
    int64_t load(const std::function<void(OffsetRecord&&)>& apply);
    // `--repair`: as load, but any damage is cut off after keeping a backup; returns what was cut
    // (nullopt: the file was intact).
    std::optional<RepairAction> repair();
    void append(const OffsetRecord& record);
    // Rewrites the file with just `live` if most of what it holds is superseded.
    void compact_if_worthwhile(const std::vector<OffsetRecord>& live);
    bool compaction_worthwhile(size_t live_records) const;

    const std::shared_ptr<File>& file() const { return file_; }

private:
    int64_t read(const std::function<void(OffsetRecord&&)>& apply, bool repair, std::optional<RepairAction>* cut);

    std::string path_;
    std::shared_ptr<File> file_;
    int64_t size_ = 0;
    size_t records_ = 0;
};

}  // namespace minikafka
