// minikafka/protocol/quorum_fields.hpp
//
// CONCEPT: one schema, two spellings. Kafka describes every message once (a JSON schema with
// "validVersions" and "flexibleVersions") and the wire spelling follows from the version:
//
//                     before flexibleVersions        from flexibleVersions on (KIP-482)
//   STRING            INT16 length + bytes           UNSIGNED_VARINT(length + 1) + bytes
//   NULLABLE_STRING   INT16 -1 = null                UNSIGNED_VARINT 0 = null
//   ARRAY             INT32 count                    UNSIGNED_VARINT(count + 1)
//   end of a struct   nothing                        TAGGED_FIELDS: count, then (tag, size, bytes)
//
// The quorum APIs mix both: Vote, DescribeQuorum, FetchSnapshot and Fetch v12+ are flexible, while
// BeginQuorumEpoch and EndQuorumEpoch v0 are not. So their codecs take a `flexible` flag and call
// these helpers instead of picking the spelling at every field. Shared by quorum.cpp (elections)
// and quorum_fetch.cpp (log replication); nothing outside the quorum codecs includes it.
// READ NEXT: quorum.cpp (Vote, BeginQuorumEpoch, EndQuorumEpoch, DescribeQuorum).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "primitives.hpp"

namespace minikafka::quorum_fields {

// A flexible version spells strings and arrays with UNSIGNED_VARINT(length + 1) and ends every
// struct with a tagged-field section; the older versions use INT16/INT32 lengths and no tags.
inline std::string read_string(KafkaReader& in, bool flexible) {
    return std::string(flexible ? in.compact_string() : in.string());
}
inline std::optional<std::string> read_nullable_string(KafkaReader& in, bool flexible) {
    auto s = flexible ? in.compact_nullable_string() : in.nullable_string();
    if (!s) return std::nullopt;
    return std::string(*s);
}
inline int32_t read_array_length(KafkaReader& in, bool flexible) {
    return flexible ? in.compact_array_length() : in.array_length();
}
inline void write_string(KafkaWriter& out, bool flexible, std::string_view s) {
    flexible ? out.compact_string(s) : out.string(s);
}
inline void write_nullable_string(KafkaWriter& out, bool flexible, const std::optional<std::string>& s) {
    if (flexible) return out.compact_nullable_string(s ? std::optional<std::string_view>(*s) : std::nullopt);
    out.nullable_string(s ? std::optional<std::string_view>(*s) : std::nullopt);
}
inline void write_array_length(KafkaWriter& out, bool flexible, size_t n) {
    flexible ? out.compact_array_length(n) : out.array_length(n);
}
inline void end_struct(KafkaWriter& out, bool flexible) {
    if (flexible) out.empty_tagged_fields();
}
inline void skip_tags(KafkaReader& in, bool flexible) {
    if (flexible) in.skip_tagged_fields();
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

}  // namespace minikafka::quorum_fields
