// minikafka/protocol/quorum.cpp - the KRaft RPCs' bodies, field by field as Kafka's schemas list
// them. Reading order: the small helpers that hide "flexible or not" (compact lengths and tagged
// fields, KIP-482), then one decode/encode pair per API in key order, then the record batch that
// carries quorum log entries in a Fetch response.
//
// CONCEPT: the controller quorum on Kafka's wire (quorum.hpp). Raft itself lives in raft/ as
// plain structs; here its messages become Kafka's Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch
// and FetchSnapshot bodies, so the quorum is a Kafka quorum on the network, not a private one.
//
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
// READ NEXT: core/quorum_wire.cpp (raft structs <-> these), handlers/quorum.cpp.
#include "quorum.hpp"

#include "byte_buffer.hpp"
#include "crc32c.hpp"

namespace minikafka {

namespace {

// A flexible version spells strings and arrays with UNSIGNED_VARINT(length + 1) and ends every
// struct with a tagged-field section; the older versions use INT16/INT32 lengths and no tags.
std::string read_string(KafkaReader& in, bool flexible) {
    return std::string(flexible ? in.compact_string() : in.string());
}
std::optional<std::string> read_nullable_string(KafkaReader& in, bool flexible) {
    auto s = flexible ? in.compact_nullable_string() : in.nullable_string();
    if (!s) return std::nullopt;
    return std::string(*s);
}
int32_t read_array_length(KafkaReader& in, bool flexible) {
    return flexible ? in.compact_array_length() : in.array_length();
}
void write_string(KafkaWriter& out, bool flexible, std::string_view s) {
    flexible ? out.compact_string(s) : out.string(s);
}
void write_nullable_string(KafkaWriter& out, bool flexible, const std::optional<std::string>& s) {
    if (flexible) return out.compact_nullable_string(s ? std::optional<std::string_view>(*s) : std::nullopt);
    out.nullable_string(s ? std::optional<std::string_view>(*s) : std::nullopt);
}
void write_array_length(KafkaWriter& out, bool flexible, size_t n) {
    flexible ? out.compact_array_length(n) : out.array_length(n);
}
void end_struct(KafkaWriter& out, bool flexible) {
    if (flexible) out.empty_tagged_fields();
}
void skip_tags(KafkaReader& in, bool flexible) {
    if (flexible) in.skip_tagged_fields();
}

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

// Topics: [{TopicName, Partitions: [{...}]}] with exactly one of each - the metadata partition.
template <typename Body>
void write_one_partition(KafkaWriter& out, bool flexible, std::string_view topic, Body body) {
    write_array_length(out, flexible, 1);
    write_string(out, flexible, topic);
    write_array_length(out, flexible, 1);
    body();
    end_struct(out, flexible);  // the partition
    end_struct(out, flexible);  // the topic
}
template <typename Body>
bool read_one_partition(KafkaReader& in, bool flexible, std::string& topic, Body body) {
    if (read_array_length(in, flexible) != 1 || !in.ok()) return false;
    topic = read_string(in, flexible);
    if (read_array_length(in, flexible) != 1 || !in.ok()) return false;
    body();
    skip_tags(in, flexible);
    skip_tags(in, flexible);
    return in.ok();
}

Uuid read_uuid(KafkaReader& in) {
    Uuid id{};
    std::string_view raw = in.bytes(16);
    if (in.ok()) std::copy(raw.begin(), raw.end(), id.begin());
    return id;
}
void write_uuid(KafkaWriter& out, const Uuid& id) {
    out.bytes(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

}  // namespace

// ---- Vote (52): flexible from v0 ----------------------------------------------------------------

bool decode_vote_request(KafkaReader& in, int16_t, VoteRequestData& out) {
    out.cluster_id = read_nullable_string(in, true);
    bool ok = read_one_partition(in, true, out.topic, [&] {
        out.partition = in.i32();
        out.candidate_epoch = in.i32();
        out.candidate_id = in.i32();
        out.last_offset_epoch = in.i32();
        out.last_offset = in.i64();
    });
    skip_tags(in, true);
    return ok && in.ok();
}
void encode_vote_request(KafkaWriter& out, int16_t, const VoteRequestData& r) {
    write_nullable_string(out, true, r.cluster_id);
    write_one_partition(out, true, r.topic, [&] {
        out.i32(r.partition);
        out.i32(r.candidate_epoch);
        out.i32(r.candidate_id);
        out.i32(r.last_offset_epoch);
        out.i64(r.last_offset);
    });
    end_struct(out, true);
}
bool decode_vote_response(KafkaReader& in, int16_t, VoteResponseData& out) {
    out.error_code = in.i16();
    bool ok = read_one_partition(in, true, out.topic, [&] {
        out.partition = in.i32();
        out.partition_error = in.i16();
        out.leader_id = in.i32();
        out.leader_epoch = in.i32();
        out.vote_granted = in.boolean();
    });
    skip_tags(in, true);
    return ok && in.ok();
}
void encode_vote_response(KafkaWriter& out, int16_t, const VoteResponseData& r) {
    out.i16(r.error_code);
    write_one_partition(out, true, r.topic, [&] {
        out.i32(r.partition);
        out.i16(r.partition_error);
        out.i32(r.leader_id);
        out.i32(r.leader_epoch);
        out.boolean(r.vote_granted);
    });
    end_struct(out, true);
}

// ---- BeginQuorumEpoch (53) and EndQuorumEpoch (54): v0 is not flexible --------------------------

bool decode_begin_quorum_epoch_request(KafkaReader& in, int16_t, BeginQuorumEpochRequestData& out) {
    out.cluster_id = read_nullable_string(in, false);
    return read_one_partition(in, false, out.topic, [&] {
        out.partition = in.i32();
        out.leader_id = in.i32();
        out.leader_epoch = in.i32();
    });
}
void encode_begin_quorum_epoch_request(KafkaWriter& out, int16_t, const BeginQuorumEpochRequestData& r) {
    write_nullable_string(out, false, r.cluster_id);
    write_one_partition(out, false, r.topic, [&] {
        out.i32(r.partition);
        out.i32(r.leader_id);
        out.i32(r.leader_epoch);
    });
}
bool decode_end_quorum_epoch_request(KafkaReader& in, int16_t, EndQuorumEpochRequestData& out) {
    out.cluster_id = read_nullable_string(in, false);
    return read_one_partition(in, false, out.topic, [&] {
        out.partition = in.i32();
        out.leader_id = in.i32();
        out.leader_epoch = in.i32();
        int32_t n = in.array_length();
        out.preferred_successors.clear();
        for (int32_t i = 0; i < n && in.ok(); ++i) out.preferred_successors.push_back(in.i32());
    });
}
void encode_end_quorum_epoch_request(KafkaWriter& out, int16_t, const EndQuorumEpochRequestData& r) {
    write_nullable_string(out, false, r.cluster_id);
    write_one_partition(out, false, r.topic, [&] {
        out.i32(r.partition);
        out.i32(r.leader_id);
        out.i32(r.leader_epoch);
        out.array_length(r.preferred_successors.size());
        for (int32_t id : r.preferred_successors) out.i32(id);
    });
}
bool decode_quorum_epoch_response(KafkaReader& in, int16_t, QuorumEpochResponseData& out) {
    out.error_code = in.i16();
    return read_one_partition(in, false, out.topic, [&] {
        out.partition = in.i32();
        out.partition_error = in.i16();
        out.leader_id = in.i32();
        out.leader_epoch = in.i32();
    });
}
void encode_quorum_epoch_response(KafkaWriter& out, int16_t, const QuorumEpochResponseData& r) {
    out.i16(r.error_code);
    write_one_partition(out, false, r.topic, [&] {
        out.i32(r.partition);
        out.i16(r.partition_error);
        out.i32(r.leader_id);
        out.i32(r.leader_epoch);
    });
}

// ---- DescribeQuorum (55): flexible; v1 adds two timestamps per replica (KIP-836) -----------------

bool decode_describe_quorum_request(KafkaReader& in, int16_t, DescribeQuorumRequestData& out) {
    bool ok = read_one_partition(in, true, out.topic, [&] { out.partition = in.i32(); });
    skip_tags(in, true);
    return ok && in.ok();
}
void encode_describe_quorum_request(KafkaWriter& out, int16_t, const DescribeQuorumRequestData& r) {
    write_one_partition(out, true, r.topic, [&] { out.i32(r.partition); });
    end_struct(out, true);
}
namespace {
void read_replica_states(KafkaReader& in, int16_t version, std::vector<ReplicaStateData>& out) {
    int32_t n = in.compact_array_length();
    out.clear();
    for (int32_t i = 0; i < n && in.ok(); ++i) {
        ReplicaStateData r;
        r.replica_id = in.i32();
        r.log_end_offset = in.i64();
        if (version >= 1) {
            r.last_fetch_timestamp = in.i64();
            r.last_caught_up_timestamp = in.i64();
        }
        in.skip_tagged_fields();
        out.push_back(r);
    }
}
void write_replica_states(KafkaWriter& out, int16_t version, const std::vector<ReplicaStateData>& states) {
    out.compact_array_length(states.size());
    for (const ReplicaStateData& r : states) {
        out.i32(r.replica_id);
        out.i64(r.log_end_offset);
        if (version >= 1) {
            out.i64(r.last_fetch_timestamp);
            out.i64(r.last_caught_up_timestamp);
        }
        out.empty_tagged_fields();
    }
}
}  // namespace
bool decode_describe_quorum_response(KafkaReader& in, int16_t version, DescribeQuorumResponseData& out) {
    out.error_code = in.i16();
    bool ok = read_one_partition(in, true, out.topic, [&] {
        out.partition = in.i32();
        out.partition_error = in.i16();
        out.leader_id = in.i32();
        out.leader_epoch = in.i32();
        out.high_watermark = in.i64();
        read_replica_states(in, version, out.current_voters);
        read_replica_states(in, version, out.observers);
    });
    skip_tags(in, true);
    return ok && in.ok();
}
void encode_describe_quorum_response(KafkaWriter& out, int16_t version, const DescribeQuorumResponseData& r) {
    out.i16(r.error_code);
    write_one_partition(out, true, r.topic, [&] {
        out.i32(r.partition);
        out.i16(r.partition_error);
        out.i32(r.leader_id);
        out.i32(r.leader_epoch);
        out.i64(r.high_watermark);
        write_replica_states(out, version, r.current_voters);
        write_replica_states(out, version, r.observers);
    });
    end_struct(out, true);
}

// ---- FetchSnapshot (59): flexible; ClusterId is tagged field 0 ----------------------------------

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
bool decode_replica_fetch_request(KafkaReader& in, int16_t version, ReplicaFetchRequestData& out) {
    if (version < 12) return false;  // before v12 there is no LastFetchedEpoch: no Raft fetch
    if (version < 15) out.replica_id = in.i32();
    out.max_wait_ms = in.i32();
    out.min_bytes = in.i32();
    out.max_bytes = in.i32();
    out.isolation_level = in.i8();
    out.session_id = in.i32();
    out.session_epoch = in.i32();
    if (in.compact_array_length() != 1 || !in.ok()) return false;
    if (version >= 13) {
        out.topic_id = read_uuid(in);
    } else {
        out.topic = read_string(in, true);
    }
    if (in.compact_array_length() != 1 || !in.ok()) return false;
    out.partition = in.i32();
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

bool decode_replica_fetch_response(KafkaReader& in, int16_t version, ReplicaFetchResponseData& out) {
    out.throttle_time_ms = in.i32();
    out.error_code = in.i16();
    out.session_id = in.i32();
    if (in.compact_array_length() != 1 || !in.ok()) return false;
    if (version >= 13) {
        out.topic_id = read_uuid(in);
    } else {
        out.topic = read_string(in, true);
    }
    if (in.compact_array_length() != 1 || !in.ok()) return false;
    out.partition = in.i32();
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
    out.uvarint(0);  // AbortedTransactions: null
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
