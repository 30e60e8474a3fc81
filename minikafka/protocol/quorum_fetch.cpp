// minikafka/protocol/quorum_fetch.cpp
//
// CONCEPT: how a follower copies the metadata log, on the wire. The election messages (quorum.cpp)
// decide *who* leads; these decide *what* the others hold: a follower asks the leader with Fetch
// (the consumer API at v12+), and when what it needs was already folded into a snapshot, with
// FetchSnapshot. The log entries themselves travel as v2 record batches, as any partition's do.
//
//   follower ──Fetch(offset, LastFetchedEpoch)──▶ leader
//            ◀── records | DivergingEpoch ("truncate, refetch") | SnapshotId ("fetch a snapshot")
//   follower ──FetchSnapshot(SnapshotId, position)──▶ leader ──▶ the snapshot's bytes
//
// Reading order: the tagged-field helpers (these APIs put optional answers in tags), FetchSnapshot,
// the replica's Fetch, then the record batch around one quorum log entry.
// READ NEXT: core/quorum_wire.cpp (raft::FetchRequest <-> these), raft/replication.cpp (what a
// follower does with a DivergingEpoch or a SnapshotId).
#include "quorum.hpp"

#include <algorithm>

#include "byte_buffer.hpp"
#include "crc32c.hpp"
#include "quorum_fields.hpp"

namespace minikafka {

using namespace quorum_fields;

namespace {

// A tagged-field section whose tags we know: each is (tag, size, bytes); `field(tag, sub)` reads
// the ones it knows from a sub-reader over exactly `size` bytes, unknown tags are skipped (that is
// the point of tags: a newer peer may add some without breaking us).
template <typename OnField>
void read_tags(KafkaReader& in, OnField field) {
    uint32_t count = in.uvarint();
    if (count > in.remaining()) return in.fail();
    for (uint32_t i = 0; i < count && in.ok(); ++i) {
        uint32_t tag = in.uvarint();
        uint32_t size = in.uvarint();
        std::string_view bytes = in.bytes(size);
        if (!in.ok()) return;
        KafkaReader sub(bytes);
        if (!field(tag, sub) || !sub.ok()) return in.fail();
    }
}
// One tagged field: tag, size, then what `write` puts in a scratch buffer.
template <typename Write>
void write_tag(KafkaWriter& out, uint32_t tag, Write write) {
    mb::ByteBuffer scratch;
    KafkaWriter sub(scratch);
    write(sub);
    out.uvarint(tag);
    out.uvarint(scratch.size());
    out.bytes(scratch.readable());
}

// A topic id (KIP-516, Fetch v13+) is 16 raw bytes, no length: Kafka's UUID primitive.
Uuid read_uuid(KafkaReader& in) {
    Uuid id{};
    std::string_view raw = in.bytes(16);
    if (in.ok()) std::copy(raw.begin(), raw.end(), id.begin());
    return id;
}
void write_uuid(KafkaWriter& out, const Uuid& id) {
    out.bytes(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

// The head of a Raft fetch, request and response alike: Fetch's arrays of topics and partitions,
// each holding exactly one entry here - the metadata log's topic (by id from v13, by name before)
// and its one partition. False when either array is not a single entry.
template <typename Data>
bool read_the_one_partition(KafkaReader& in, int16_t version, Data& out) {
    if (in.compact_array_length() != 1 || !in.ok()) return false;
    if (version >= 13) {
        out.topic_id = read_uuid(in);
    } else {
        out.topic = read_string(in, true);
    }
    if (in.compact_array_length() != 1 || !in.ok()) return false;
    out.partition = in.i32();
    return in.ok();
}

}  // namespace

// ---- FetchSnapshot (59): flexible; ClusterId is tagged field 0 ----------------------------------
//
//   request   ReplicaId, MaxBytes, Topics: [ Name, Partitions: [ Partition, CurrentLeaderEpoch,
//               SnapshotId {EndOffset INT64, Epoch INT32}, Position INT64 ] ]
//             tagged: 0 = ClusterId
//   response  ThrottleTimeMs, ErrorCode, Topics: [ Name, Partitions: [ Index, ErrorCode,
//               SnapshotId {EndOffset, Epoch}, Size INT64, Position INT64, UnalignedRecords ] ]
//             per partition, tagged: 0 = CurrentLeader {LeaderId, LeaderEpoch}
//
// Why it exists (KIP-630): a leader that has snapshotted its state may delete the log before the
// snapshot, so a follower that is far behind (or new) asks for an offset the leader no longer
// has. The Fetch answer then names a SnapshotId, and the follower copies that snapshot here
// before fetching the log after it. Position and MaxBytes let a large snapshot come in chunks; a
// metadata image of this size fits in one, so we always send the whole of it at position 0. The
// bytes are UNALIGNED_RECORDS: spelt like records, but a chunk may cut a batch in two.

bool decode_fetch_snapshot_request(KafkaReader& in, int16_t, FetchSnapshotRequestData& out) {
    out.replica_id = in.i32();
    out.max_bytes = in.i32();
    bool ok = read_one_partition(in, true, out.topic, [&] {
        out.partition = in.i32();
        out.current_leader_epoch = in.i32();
        out.snapshot_end_offset = in.i64();
        out.snapshot_epoch = in.i32();
        in.skip_tagged_fields();  // SnapshotId's own tags
        out.position = in.i64();
    });
    read_tags(in, [&](uint32_t tag, KafkaReader& sub) {
        if (tag == 0) out.cluster_id = read_nullable_string(sub, true);
        return true;
    });
    return ok && in.ok();
}
// A tag is written only when it says something: without a cluster id the section is the single
// byte 0 (no tags), which is also what a reader that never heard of ClusterId expects.
void encode_fetch_snapshot_request(KafkaWriter& out, int16_t, const FetchSnapshotRequestData& r) {
    out.i32(r.replica_id);
    out.i32(r.max_bytes);
    write_one_partition(out, true, r.topic, [&] {
        out.i32(r.partition);
        out.i32(r.current_leader_epoch);
        out.i64(r.snapshot_end_offset);
        out.i32(r.snapshot_epoch);
        out.empty_tagged_fields();
        out.i64(r.position);
    });
    if (!r.cluster_id) return out.empty_tagged_fields();
    out.uvarint(1);
    write_tag(out, 0, [&](KafkaWriter& sub) { write_nullable_string(sub, true, r.cluster_id); });
}
// Read by hand, not with read_one_partition: the partition's own tagged fields hold CurrentLeader,
// and the helper would skip them unread.
bool decode_fetch_snapshot_response(KafkaReader& in, int16_t, FetchSnapshotResponseData& out) {
    out.throttle_time_ms = in.i32();
    out.error_code = in.i16();
    if (read_array_length(in, true) != 1 || !in.ok()) return false;
    out.topic = read_string(in, true);
    if (read_array_length(in, true) != 1 || !in.ok()) return false;
    out.partition = in.i32();
    out.partition_error = in.i16();
    out.snapshot_end_offset = in.i64();
    out.snapshot_epoch = in.i32();
    in.skip_tagged_fields();
    out.size = in.i64();
    out.position = in.i64();
    out.bytes = std::string(in.compact_nullable_string().value_or(""));  // records: same spelling
    read_tags(in, [&](uint32_t tag, KafkaReader& sub) {
        if (tag == 0) {
            out.leader_id = sub.i32();
            out.leader_epoch = sub.i32();
            sub.skip_tagged_fields();
        }
        return true;
    });
    skip_tags(in, true);  // topic
    skip_tags(in, true);  // response
    return in.ok();
}
void encode_fetch_snapshot_response(KafkaWriter& out, int16_t, const FetchSnapshotResponseData& r) {
    out.i32(r.throttle_time_ms);
    out.i16(r.error_code);
    out.compact_array_length(1);
    out.compact_string(r.topic);
    out.compact_array_length(1);
    out.i32(r.partition);
    out.i16(r.partition_error);
    out.i64(r.snapshot_end_offset);
    out.i32(r.snapshot_epoch);
    out.empty_tagged_fields();
    out.i64(r.size);
    out.i64(r.position);
    out.compact_string(r.bytes);
    // CurrentLeader is written only when it differs from its default {-1, -1}, as Kafka does.
    if (r.leader_id == -1 && r.leader_epoch == -1) {
        out.empty_tagged_fields();
    } else {
        out.uvarint(1);
        write_tag(out, 0, [&](KafkaWriter& sub) {
            sub.i32(r.leader_id);
            sub.i32(r.leader_epoch);
            sub.empty_tagged_fields();
        });
    }
    out.empty_tagged_fields();  // topic
    out.empty_tagged_fields();  // response
}

// ---- Fetch (1) v12-v15, a replica's ------------------------------------------------------------

// The same Fetch API a consumer sends, which is the point of KRaft's design: one replication
// mechanism for data partitions and for the metadata log. Only three things make it a Raft fetch:
// LastFetchedEpoch (so the leader can detect a diverging log), the replica naming itself (ReplicaId,
// or from v15 the tagged ReplicaState with its broker epoch), and the answer's DivergingEpoch.
// Fields that only consumers and fetch sessions use are read past, never acted on.
//
//   request   [ReplicaId (v12-14)], MaxWaitMs, MinBytes, MaxBytes, IsolationLevel, SessionId,
//             SessionEpoch, Topics: [ TopicName (v12) | TopicId (v13+), Partitions: [ Partition,
//               CurrentLeaderEpoch, FetchOffset, LastFetchedEpoch, LogStartOffset,
//               PartitionMaxBytes ] ], ForgottenTopicsData: [...], RackId
//             tagged: 0 = ClusterId, 1 = ReplicaState {ReplicaId, ReplicaEpoch} (v15+)
//
// Where each of those came from, and what a replica does with it:
//   CurrentLeaderEpoch (v9, KIP-320)  fencing: a leader in another epoch refuses the fetch, so a
//                                     follower never copies from a deposed leader.
//   LastFetchedEpoch (v12, KIP-595)   with FetchOffset, the (epoch, offset) of the follower's last
//                                     entry: the leader checks it against its own log (Raft's
//                                     prevLogTerm/prevLogIndex check, done by the reader).
//   LogStartOffset (v5, KIP-107)      the follower's log start, which the leader needs to report
//                                     a low watermark across replicas (DeleteRecords).
//   SessionId/Epoch (v7, KIP-227)     incremental fetch sessions; a replica sends 0 / -1 (none).
//   IsolationLevel (v4, KIP-98)       read_committed hides aborted transactions; the metadata log
//                                     has none.
//   RackId (v11, KIP-392)             fetch-from-follower for consumers; ignored here.
//   TopicId (v13, KIP-516)            the topic by its id: a re-created topic of the same name
//                                     is a different topic, and a stale fetch cannot mix them.
//   ReplicaState (v15, KIP-903)       the broker epoch beside the id, so the leader can tell a
//                                     restarted broker (which may have lost unflushed data) from
//                                     the incarnation it had counted as caught up.
bool decode_replica_fetch_request(KafkaReader& in, int16_t version, ReplicaFetchRequestData& out) {
    if (version < 12) return false;  // before v12 there is no LastFetchedEpoch: no Raft fetch
    if (version < 15) out.replica_id = in.i32();
    out.max_wait_ms = in.i32();
    out.min_bytes = in.i32();
    out.max_bytes = in.i32();
    out.isolation_level = in.i8();
    out.session_id = in.i32();
    out.session_epoch = in.i32();
    if (!read_the_one_partition(in, version, out)) return false;
    out.current_leader_epoch = in.i32();
    out.fetch_offset = in.i64();
    out.last_fetched_epoch = in.i32();
    out.log_start_offset = in.i64();
    out.partition_max_bytes = in.i32();
    in.skip_tagged_fields();                        // partition
    in.skip_tagged_fields();                        // topic
    int32_t forgotten = in.compact_array_length();  // ForgottenTopicsData: sessions only; skipped
    for (int32_t i = 0; i < forgotten && in.ok(); ++i) {
        if (version >= 13) {
            read_uuid(in);
        } else {
            in.compact_string();
        }
        int32_t n = in.compact_array_length();
        for (int32_t j = 0; j < n && in.ok(); ++j) in.i32();
        in.skip_tagged_fields();
    }
    out.rack_id = read_string(in, true);
    read_tags(in, [&](uint32_t tag, KafkaReader& sub) {
        if (tag == 0) out.cluster_id = read_nullable_string(sub, true);
        if (tag == 1 && version >= 15) {  // ReplicaState {ReplicaId, ReplicaEpoch}
            out.replica_id = sub.i32();
            out.replica_epoch = sub.i64();
            sub.skip_tagged_fields();
        }
        return true;
    });
    return in.ok();
}

void encode_replica_fetch_request(KafkaWriter& out, int16_t version, const ReplicaFetchRequestData& r) {
    if (version < 15) out.i32(r.replica_id);
    out.i32(r.max_wait_ms);
    out.i32(r.min_bytes);
    out.i32(r.max_bytes);
    out.i8(r.isolation_level);
    out.i32(r.session_id);
    out.i32(r.session_epoch);
    out.compact_array_length(1);
    if (version >= 13) {
        write_uuid(out, r.topic_id);
    } else {
        out.compact_string(r.topic);
    }
    out.compact_array_length(1);
    out.i32(r.partition);
    out.i32(r.current_leader_epoch);
    out.i64(r.fetch_offset);
    out.i32(r.last_fetched_epoch);
    out.i64(r.log_start_offset);
    out.i32(r.partition_max_bytes);
    out.empty_tagged_fields();
    out.empty_tagged_fields();
    out.compact_array_length(0);  // no forgotten topics
    out.compact_string(r.rack_id);
    // The tags go out in ascending order, as Kafka writes them. ReplicaState is sent from v15 on
    // even for a voter (ReplicaEpoch -1): from v15 it is the only place the replica id lives.
    const bool cluster = r.cluster_id.has_value();
    const bool state = version >= 15;
    out.uvarint((cluster ? 1 : 0) + (state ? 1 : 0));  // tags in increasing order
    if (cluster) write_tag(out, 0, [&](KafkaWriter& sub) { write_nullable_string(sub, true, r.cluster_id); });
    if (state) {
        write_tag(out, 1, [&](KafkaWriter& sub) {
            sub.i32(r.replica_id);
            sub.i64(r.replica_epoch);
            sub.empty_tagged_fields();
        });
    }
}

// The answer, per partition:
//
//   ThrottleTimeMs, ErrorCode, SessionId, Responses: [ TopicName | TopicId, Partitions: [
//     PartitionIndex, ErrorCode, HighWatermark, LastStableOffset, LogStartOffset,
//     AbortedTransactions: [...], PreferredReadReplica, Records ] ]
//   per partition, tagged: 0 = DivergingEpoch {Epoch, EndOffset}, 1 = CurrentLeader {LeaderId,
//     LeaderEpoch}, 2 = SnapshotId {EndOffset, Epoch}
//
// HighWatermark is Raft's commit index: the follower applies entries up to it and no further. The
// three tags are the three ways the leader can say "not records this time": your log diverges from
// mine at this epoch (truncate to EndOffset and fetch again), I am not the leader you think
// (here is who is), or what you ask for is only in a snapshot (fetch that). Being tagged, they
// cost nothing on a consumer's fetch, where they are never set.
bool decode_replica_fetch_response(KafkaReader& in, int16_t version, ReplicaFetchResponseData& out) {
    out.throttle_time_ms = in.i32();
    out.error_code = in.i16();
    out.session_id = in.i32();
    if (!read_the_one_partition(in, version, out)) return false;
    out.partition_error = in.i16();
    out.high_watermark = in.i64();
    out.last_stable_offset = in.i64();
    out.log_start_offset = in.i64();
    int32_t aborted = in.compact_array_length();  // AbortedTransactions: none in a metadata log
    for (int32_t i = 0; i < aborted && in.ok(); ++i) {
        in.i64();
        in.i64();
        in.skip_tagged_fields();
    }
    out.preferred_read_replica = in.i32();
    out.records = std::string(in.compact_nullable_string().value_or(""));
    read_tags(in, [&](uint32_t tag, KafkaReader& sub) {
        if (tag == 0) out.diverging_epoch = EpochEndOffset{sub.i32(), sub.i64()};
        if (tag == 1) {
            out.leader_id = sub.i32();
            out.leader_epoch = sub.i32();
        }
        if (tag == 2) {
            int64_t end_offset = sub.i64();  // SnapshotId is {EndOffset, Epoch}: offset first
            out.snapshot_id = EpochEndOffset{sub.i32(), end_offset};
        }
        // Each of the three values is itself a struct, so it ends with its own tagged fields.
        if (tag <= 2) sub.skip_tagged_fields();
        return true;
    });
    in.skip_tagged_fields();  // topic
    in.skip_tagged_fields();  // response
    return in.ok();
}

void encode_replica_fetch_response(KafkaWriter& out, int16_t version, const ReplicaFetchResponseData& r) {
    out.i32(r.throttle_time_ms);
    out.i16(r.error_code);
    out.i32(r.session_id);
    out.compact_array_length(1);
    if (version >= 13) {
        write_uuid(out, r.topic_id);
    } else {
        out.compact_string(r.topic);
    }
    out.compact_array_length(1);
    out.i32(r.partition);
    out.i16(r.partition_error);
    out.i64(r.high_watermark);
    out.i64(r.last_stable_offset);
    out.i64(r.log_start_offset);
    // AbortedTransactions: null (a compact length of 0) - the metadata log is never transactional,
    // so there is no list to send, not even an empty one.
    out.uvarint(0);
    out.i32(r.preferred_read_replica);
    out.compact_string(r.records);
    // The three tagged fields KIP-595 added, each only when it says something.
    const bool leader = r.leader_id != -1 || r.leader_epoch != -1;
    out.uvarint((r.diverging_epoch ? 1 : 0) + (leader ? 1 : 0) + (r.snapshot_id ? 1 : 0));
    if (r.diverging_epoch) {
        write_tag(out, 0, [&](KafkaWriter& sub) {
            sub.i32(r.diverging_epoch->epoch);
            sub.i64(r.diverging_epoch->end_offset);
            sub.empty_tagged_fields();
        });
    }
    if (leader) {
        write_tag(out, 1, [&](KafkaWriter& sub) {
            sub.i32(r.leader_id);
            sub.i32(r.leader_epoch);
            sub.empty_tagged_fields();
        });
    }
    if (r.snapshot_id) {
        write_tag(out, 2, [&](KafkaWriter& sub) {
            sub.i64(r.snapshot_id->end_offset);
            sub.i32(r.snapshot_id->epoch);
            sub.empty_tagged_fields();
        });
    }
    out.empty_tagged_fields();  // topic
    out.empty_tagged_fields();  // response
}

// ---- the record batch around one quorum log entry ------------------------------------------------

// Why wrap each quorum log entry in a v2 record batch: in Kafka the metadata log *is* a log
// partition (__cluster_metadata-0), and a Fetch answer carries record batches whatever the
// partition. So an entry travels like any record - offset, leader epoch, CRC - and a LeaderChange
// entry is a *control* batch (attribute bit 5), which is how Kafka tells Raft's own bookkeeping
// from the metadata records the state machine applies. One record per batch keeps it simple;
// Kafka batches many.
//
//   offset  0  BaseOffset            INT64   the entry's offset in the metadata log
//           8  BatchLength           INT32   bytes after this field
//          12  PartitionLeaderEpoch  INT32   the epoch that wrote it (Raft's term of the entry)
//          16  Magic                 INT8    2
//          17  CRC                   UINT32  CRC32C of everything from Attributes to the end
//          21  Attributes            INT16   bit 5: control batch
//          23  LastOffsetDelta, BaseTimestamp, MaxTimestamp, ProducerId, ProducerEpoch,
//              BaseSequence, then the record count and the records (varint-framed)
//
// The CRC starts after itself, at Attributes, not at the offset: a broker may rewrite BaseOffset
// and PartitionLeaderEpoch when it appends the batch without recomputing it.
void append_quorum_record_batch(std::string& out, const QuorumRecord& record, int64_t timestamp_ms) {
    // The record first (its length is a varint in front of it), then the batch header around it.
    mb::ByteBuffer rec;
    KafkaWriter r(rec);
    r.i8(0);      // record attributes (unused)
    r.varint(0);  // timestamp delta
    r.varint(0);  // offset delta
    if (record.control) {
        r.varint(4);  // key: ControlRecordType {version int16 0, type int16 2 = LeaderChange}
        r.i16(0);
        r.i16(2);
    } else {
        r.varint(-1);  // no key
    }
    r.varint(static_cast<int64_t>(record.value.size()));
    r.bytes(record.value);
    r.varint(0);  // no headers

    mb::ByteBuffer batch;
    KafkaWriter b(batch);
    b.i64(record.offset);  // base offset
    b.i32(0);              // batch length, patched below
    b.i32(record.epoch);   // partition leader epoch: the epoch that wrote the entry
    b.i8(2);               // magic
    b.u32(0);              // CRC32C, patched below
    const size_t crc_from = batch.size();
    b.i16(record.control ? 0x20 : 0);  // attributes: bit 5 = control batch
    b.i32(0);                          // last offset delta
    b.i64(timestamp_ms);
    b.i64(timestamp_ms);
    b.i64(-1);  // producer id
    b.i16(-1);  // producer epoch
    b.i32(-1);  // base sequence
    b.i32(1);   // one record
    b.varint(static_cast<int64_t>(rec.size()));
    b.bytes(rec.readable());
    b.patch_u32(8, static_cast<uint32_t>(batch.size() - 12));
    b.patch_u32(17, mb::crc32c(batch.readable().substr(crc_from)));
    out.append(batch.readable());
}

// The inverse, from a leader's Fetch answer. Every check fails the whole parse rather than
// skipping a batch: a follower that silently dropped one entry would hold a log with a hole,
// and Raft's guarantees assume a replica's log is a prefix of the leader's.
bool parse_quorum_record_batches(std::string_view bytes, std::vector<QuorumRecord>& out) {
    while (!bytes.empty()) {
        KafkaReader in(bytes);
        QuorumRecord record;
        record.offset = in.i64();
        int32_t length = in.i32();
        // 49 bytes: the fixed header after BatchLength (epoch .. record count), so a shorter batch
        // cannot hold even an empty record list.
        if (!in.ok() || length < 49 || static_cast<size_t>(length) > in.remaining()) return false;
        std::string_view body = bytes.substr(12, static_cast<size_t>(length));
        KafkaReader b(body);
        record.epoch = b.i32();
        if (b.i8() != 2) return false;
        uint32_t crc = b.u32();
        if (crc != mb::crc32c(body.substr(9))) return false;
        record.control = (b.i16() & 0x20) != 0;
        b.skip(4 + 8 + 8 + 8 + 2 + 4);   // last offset delta, timestamps, producer id/epoch, sequence
        if (b.i32() != 1) return false;  // we write one record per batch
        b.varint();                      // record length
        b.i8();
        b.varlong();
        b.varint();
        int32_t key_length = b.varint();
        if (key_length > 0) b.skip(static_cast<size_t>(key_length));
        int32_t value_length = b.varint();
        if (value_length < 0 || static_cast<size_t>(value_length) > b.remaining()) return false;
        record.value = std::string(b.bytes(static_cast<size_t>(value_length)));
        if (!b.ok()) return false;
        out.push_back(std::move(record));
        bytes.remove_prefix(12 + static_cast<size_t>(length));
    }
    return true;
}

}  // namespace minikafka
