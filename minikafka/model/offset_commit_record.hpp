// minikafka/model/offset_commit_record.hpp
//
// CONCEPT: a committed offset as a *record* - what Kafka writes to its internal topic
// __consumer_offsets for every OffsetCommit. In a cluster, committed offsets must survive the
// death of the broker that took them, and the broker already has one thing that survives a
// death: a replicated partition. So a commit becomes a record with a key and a value, appended to
// a partition of __consumer_offsets like any producer's record, and the last record per key is
// the committed offset (a null value - a tombstone - deletes it). The schemas are Kafka's own, so
// `kcat -C -t __consumer_offsets` shows the real thing:
//
//   key   version INT16 (1)  | group STRING | topic STRING | partition INT32
//   value version INT16 (3)  | offset INT64 | leader_epoch INT32 | metadata STRING
//                            | commit_timestamp INT64
//         (v0: offset, metadata, timestamp; v1 adds expire_timestamp; v2 drops it;
//          v3 adds leader_epoch - all four are read, v3 is written)
//
// Kafka's key version 2 is a group's *metadata* (members, generation, assignments): the same topic
// and the same batches carry it, see group_metadata_record.hpp. The key version is what tells the
// two apart - also for log compaction, which keeps the latest record per key. Records go in
// uncompressed v2 batches
// (record_batch.hpp) - one batch per OffsetCommit request, so a commit of many partitions is
// appended (and replicated) all or nothing.
// REAL KAFKA: GroupMetadataManager.offsetCommitKey / offsetCommitValue (OffsetCommitKey.json,
// OffsetCommitValue.json in the coordinator's resources).
// READ NEXT: model/group_metadata_record.hpp (the other record), core/offsets_topic.hpp (who
//            writes and loads them).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "group_coordinator.hpp"

namespace minikafka {

struct OffsetCommitRecord {
    std::string group;
    std::string topic;
    int32_t partition = 0;
    std::optional<CommittedOffset> value;  // nullopt: a tombstone (the offset was deleted)
};

// A record of __consumer_offsets as bytes: its key, and its value (nullopt: a tombstone).
struct CoordinatorRecord {
    std::string key;
    std::optional<std::string> value;
};
std::string encode_coordinator_batch(const std::vector<CoordinatorRecord>& records, int64_t now_ms);
// Calls `visit(key, value)` for each record of the batch; false if a record does not parse or
// `visit` returns false. Compressed and control batches are skipped (true).
using CoordinatorRecordVisitor = std::function<bool(std::string_view key, std::optional<std::string_view> value)>;
bool for_each_coordinator_record(std::string_view batch, const CoordinatorRecordVisitor& visit);

// One uncompressed record batch (magic 2, base offset 0: the log assigns it) holding `records`,
// with its CRC32C - ready for PartitionLog::append.
std::string encode_offset_commit_batch(const std::vector<OffsetCommitRecord>& records, int64_t now_ms);

// Every offset-commit record in the batch at the start of `batch` (its header already checked),
// in order. Group-metadata records (key version 2) and unknown versions are skipped; a compressed
// batch (nobody but us writes this topic, and we never compress) is skipped too.
// Returns false if a record does not parse.
bool decode_offset_commit_batch(std::string_view batch, const std::function<void(OffsetCommitRecord&&)>& apply);

}  // namespace minikafka
