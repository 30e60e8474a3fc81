// Codec tests: the protocol's primitive types, framing, headers, ApiVersions and Metadata - pure
// functions over bytes, checked against hand-made byte strings, plus random/truncated input.
#include <gtest/gtest.h>

#include <random>

#include "protocol/api_versions.hpp"
#include "protocol/metadata.hpp"
#include "protocol/offsets_for_leader_epoch.hpp"
#include "protocol/request_header.hpp"

namespace minikafka {
namespace {

using namespace std::string_view_literals;
using namespace std::string_literals;

TEST(Primitives, AStringTooLongForItsLengthFieldIsCutNotWrapped) {
    // An error message quoting a 40,000-byte topic name: a STRING's length is an INT16.
    mb::ByteBuffer buf;
    KafkaWriter w(buf);
    w.string(std::string(40000, 'x'));
    w.i32(7);
    KafkaReader r(buf.readable());
    EXPECT_EQ(r.string().size(), size_t{INT16_MAX});
    EXPECT_EQ(r.i32(), 7);
    EXPECT_TRUE(r.at_end());
}

TEST(Primitives, VarintsRoundTripIncludingExtremes) {
    for (int64_t v : {0LL, 1LL, -1LL, 63LL, -64LL, 300LL, -300LL, (long long)INT32_MAX, (long long)INT32_MIN}) {
        mb::ByteBuffer buf;
        KafkaWriter w(buf);
        w.varint(v);
        KafkaReader r(buf.readable());
        EXPECT_EQ(r.varint(), v);
        EXPECT_TRUE(r.ok());
        EXPECT_TRUE(r.at_end());
    }
    for (int64_t v : {(long long)INT64_MAX, (long long)INT64_MIN, 1LL << 40}) {
        mb::ByteBuffer buf;
        KafkaWriter w(buf);
        w.varint(v);
        KafkaReader r(buf.readable());
        EXPECT_EQ(r.varlong(), v);
    }
}

TEST(Primitives, ZigZagMatchesTheSpecExamples) {
    // From the protocol guide: 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3.
    KafkaReader r("\x00\x01\x02\x03"sv);
    EXPECT_EQ(r.varint(), 0);
    EXPECT_EQ(r.varint(), -1);
    EXPECT_EQ(r.varint(), 1);
    EXPECT_EQ(r.varint(), -2);
}

TEST(Primitives, OverlongVarintFails) {
    KafkaReader r("\xff\xff\xff\xff\xff\xff"sv);
    r.uvarint();
    EXPECT_FALSE(r.ok());
}

TEST(Primitives, StringsAndNulls) {
    KafkaReader r(
        "\x00\x03"
        "abc"
        "\xff\xff"
        "\x04"
        "xyz"
        "\x00"sv);
    EXPECT_EQ(r.string(), "abc");
    EXPECT_EQ(r.nullable_string(), std::nullopt);
    EXPECT_EQ(r.compact_string(), "xyz");
    EXPECT_EQ(r.compact_nullable_string(), std::nullopt);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.at_end());
}

TEST(Primitives, LyingLengthsFailInsteadOfReadingPastTheEnd) {
    KafkaReader s(
        "\x00\x10"
        "abc"sv);
    EXPECT_EQ(s.string(), "");
    EXPECT_FALSE(s.ok());
    KafkaReader a("\x7f\xff\xff\xff\x00"sv);  // 2 billion elements in 1 byte
    EXPECT_EQ(a.array_length(), 0);
    EXPECT_FALSE(a.ok());
    KafkaReader n("\xff\xfe"sv);  // negative, not -1
    n.nullable_string();
    EXPECT_FALSE(n.ok());
}

TEST(Primitives, TaggedFieldsAreSkipped) {
    // two tags: (0, 2 bytes "ab"), (5, 0 bytes), then an INT8 after them
    KafkaReader r(
        "\x02\x00\x02"
        "ab"
        "\x05\x00"
        "\x07"sv);
    r.skip_tagged_fields();
    EXPECT_EQ(r.i8(), 7);
    EXPECT_TRUE(r.ok());
}

TEST(Framing, CutsCompleteFramesAndWaitsForPartialOnes) {
    std::string two =
        "\x00\x00\x00\x0a"
        "0123456789"
        "\x00\x00\x00\x0a"
        "01234"s;
    Frame first = next_frame(two, 1000);
    ASSERT_EQ(first.status, Frame::Status::complete);
    EXPECT_EQ(first.bytes, "0123456789");
    EXPECT_EQ(first.consumed, 14u);
    EXPECT_EQ(next_frame(std::string_view(two).substr(14), 1000).status, Frame::Status::need_more);
    EXPECT_EQ(next_frame("\x00\x00"sv, 1000).status, Frame::Status::need_more);
}

TEST(Framing, RefusesOversizedAndNegativeSizesBeforeBuffering) {
    EXPECT_EQ(next_frame("\x00\x10\x00\x00"sv, 1000).status, Frame::Status::too_large);
    EXPECT_EQ(next_frame("\xff\xff\xff\xff"sv, 1000).status, Frame::Status::malformed);
    EXPECT_EQ(next_frame("\x00\x00\x00\x02xx"sv, 1000).status, Frame::Status::malformed);
}

TEST(RequestHeader, V1AndFlexibleV2) {
    // ApiVersions v0: key 18, version 0, correlation 7, client id "kcat"
    KafkaReader v1("\x00\x12\x00\x00\x00\x00\x00\x07\x00\x04kcat"sv);
    RequestHeader h = decode_request_header(v1);
    EXPECT_TRUE(v1.ok());
    EXPECT_EQ(h.api_key, ApiKey::ApiVersions);
    EXPECT_EQ(h.correlation_id, 7);
    EXPECT_EQ(h.client_id, "kcat");
    EXPECT_FALSE(h.flexible);
    // ApiVersions v3 is flexible: header v2 ends with a tagged-fields byte.
    KafkaReader v2(
        "\x00\x12\x00\x03\x00\x00\x00\x08\xff\xff\x00"
        "BODY"sv);
    h = decode_request_header(v2);
    EXPECT_TRUE(h.flexible);
    EXPECT_EQ(h.client_id, std::nullopt);
    EXPECT_EQ(v2.rest(), "BODY");
}

TEST(RequestHeader, ApiVersionsResponseHeaderHasNoTaggedFieldsEvenWhenFlexible) {
    RequestHeader h;
    h.api_key = ApiKey::ApiVersions;
    h.api_version = 3;
    h.correlation_id = 42;
    h.flexible = true;
    mb::ByteBuffer buf;
    KafkaWriter w(buf);
    encode_response_header(w, h);
    EXPECT_EQ(buf.readable(), "\x00\x00\x00\x2a"sv);
}

TEST(ApiVersions, V0AndV3Layouts) {
    const ApiVersionRange apis[] = {{ApiKey::Produce, 3, 8}};
    mb::ByteBuffer v0;
    KafkaWriter w0(v0);
    encode_api_versions_response(w0, 0, ErrorCode::None, apis);
    EXPECT_EQ(v0.readable(),
              "\x00\x00"
              "\x00\x00\x00\x01"
              "\x00\x00\x00\x03\x00\x08"sv);
    mb::ByteBuffer v3;
    KafkaWriter w3(v3);
    encode_api_versions_response(w3, 3, ErrorCode::None, apis);
    EXPECT_EQ(v3.readable(),
              "\x00\x00"
              "\x02"
              "\x00\x00\x00\x03\x00\x08\x00"
              "\x00\x00\x00\x00"
              "\x00"sv);
    KafkaReader request(
        "\x0blibrdkafka\x06"
        "2.0.2\x00"sv);
    ApiVersionsRequest decoded = decode_api_versions_request(request, 3);
    EXPECT_TRUE(request.ok());
    EXPECT_EQ(decoded.client_software_name, "librdkafka");
    EXPECT_EQ(decoded.client_software_version, "2.0.2");
}

TEST(Metadata, EmptyListMeansAllTopicsOnlyInV0) {
    KafkaReader v0("\x00\x00\x00\x00"sv);
    EXPECT_FALSE(decode_metadata_request(v0, 0).topics.has_value());
    KafkaReader v1_empty("\x00\x00\x00\x00"sv);
    auto none = decode_metadata_request(v1_empty, 1);
    ASSERT_TRUE(none.topics.has_value());
    EXPECT_TRUE(none.topics->empty());
    KafkaReader v1_null("\xff\xff\xff\xff"sv);
    EXPECT_FALSE(decode_metadata_request(v1_null, 1).topics.has_value());
    EXPECT_TRUE(v1_null.ok());
    KafkaReader v0_null("\xff\xff\xff\xff"sv);  // v0's array is not nullable
    decode_metadata_request(v0_null, 0);
    EXPECT_FALSE(v0_null.ok());
    KafkaReader v4("\x00\x00\x00\x01\x00\x01t\x00"sv);
    auto one = decode_metadata_request(v4, 4);
    EXPECT_TRUE(v4.ok());
    ASSERT_EQ(one.topics->size(), 1u);
    EXPECT_EQ((*one.topics)[0], "t");
    EXPECT_FALSE(one.allow_auto_topic_creation);
}

TEST(Metadata, ResponseV1HasRackControllerAndInternalFlag) {
    MetadataResponse response;
    response.brokers.push_back({0, "h", 9});
    response.controller_id = 0;
    MetadataTopic topic;
    topic.name = "t";
    topic.partitions.push_back({ErrorCode::None, 0, 0, 0, {}, {}, {}});
    response.topics.push_back(topic);
    mb::ByteBuffer buf;
    KafkaWriter w(buf);
    encode_metadata_response(w, 1, response);
    EXPECT_EQ(buf.readable(),
              "\x00\x00\x00\x01"
              "\x00\x00\x00\x00"
              "\x00\x01h"
              "\x00\x00\x00\x09"
              "\xff\xff"          // broker + null rack
              "\x00\x00\x00\x00"  // controller
              "\x00\x00\x00\x01"
              "\x00\x00"
              "\x00\x01t"
              "\x00"  // topic, not internal
              "\x00\x00\x00\x01"
              "\x00\x00"
              "\x00\x00\x00\x00"
              "\x00\x00\x00\x00"  // partition 0, leader 0
              "\x00\x00\x00\x01\x00\x00\x00\x00"
              "\x00\x00\x00\x01\x00\x00\x00\x00"sv);  // replicas, isr
}

// Fuzz-style: random and truncated inputs never crash or read out of bounds (ASan watches),
// and a truncated valid request is always reported as not ok.
TEST(Fuzz, RandomBytesAndTruncationsAreHandled) {
    std::mt19937 random(12345);
    std::string valid = "\x00\x00\x00\x02\x00\x05topic\x00\x01t\x01"s;  // metadata v4: [topic, t], auto-create
    for (size_t cut = 0; cut < valid.size(); ++cut) {
        KafkaReader r(std::string_view(valid).substr(0, cut));
        decode_metadata_request(r, 4);
        EXPECT_FALSE(r.ok()) << cut;
    }
    for (int round = 0; round < 20000; ++round) {
        std::string junk(random() % 64, '\0');
        for (char& c : junk) c = static_cast<char>(random());
        for (int16_t version : {0, 1, 4, 8}) {
            KafkaReader r(junk);
            decode_metadata_request(r, version);
        }
        KafkaReader h(junk);
        decode_request_header(h);
        KafkaReader a(junk);
        decode_api_versions_request(a, 3);
        next_frame(junk, 1 << 20);
    }
}

// OffsetsForLeaderEpoch: v0 has neither replica_id nor current_leader_epoch, v4 is flexible.
TEST(OffsetsForLeaderEpoch, RequestLayoutsV0AndV4) {
    mb::ByteBuffer v0;
    KafkaWriter w0(v0);
    w0.array_length(1);
    w0.string("t");
    w0.array_length(2);
    w0.i32(0), w0.i32(5);
    w0.i32(1), w0.i32(6);
    KafkaReader in0(v0.readable());
    OffsetsForLeaderEpochRequest r;
    decode_offsets_for_leader_epoch_request(in0, 0, r);
    ASSERT_TRUE(in0.ok());
    EXPECT_EQ(r.replica_id, kDebuggingReplicaId);
    ASSERT_EQ(r.partitions.size(), 2u);
    EXPECT_EQ(r.partitions[1].partition, 1);
    EXPECT_EQ(r.partitions[1].current_leader_epoch, -1);
    EXPECT_EQ(r.partitions[1].leader_epoch, 6);
    EXPECT_EQ(in0.remaining(), 0u);

    mb::ByteBuffer v4;
    KafkaWriter w4(v4);
    w4.i32(3);  // replica_id: broker 3, a follower
    w4.compact_array_length(1);
    w4.compact_string("t");
    w4.compact_array_length(1);
    w4.i32(2), w4.i32(7), w4.i32(4);
    w4.empty_tagged_fields();  // partition
    w4.empty_tagged_fields();  // topic
    w4.empty_tagged_fields();  // request
    KafkaReader in4(v4.readable());
    decode_offsets_for_leader_epoch_request(in4, 4, r);
    ASSERT_TRUE(in4.ok());
    EXPECT_EQ(in4.remaining(), 0u);
    EXPECT_EQ(r.replica_id, 3);
    ASSERT_EQ(r.partitions.size(), 1u);
    EXPECT_EQ(r.partitions[0].topic, "t");
    EXPECT_EQ(r.partitions[0].current_leader_epoch, 7);
    EXPECT_EQ(r.partitions[0].leader_epoch, 4);
}

// The follower's side at v3: what it encodes, the broker's decoder reads back; what the broker
// encodes, the follower's decoder reads back (two topics, to check the grouping both ways).
TEST(OffsetsForLeaderEpoch, TheFollowersV3RoundTrips) {
    OffsetsForLeaderEpochRequest asked;
    asked.replica_id = 2;
    asked.partitions = {{"a", 0, 5, 4}, {"a", 3, 5, 1}, {"b", 1, 7, 7}};
    mb::ByteBuffer request;
    KafkaWriter w(request);
    encode_offsets_for_leader_epoch_request(w, asked);
    KafkaReader in(request.readable());
    OffsetsForLeaderEpochRequest read;
    decode_offsets_for_leader_epoch_request(in, kReplicaOffsetsForLeaderEpochVersion, read);
    ASSERT_TRUE(in.ok());
    EXPECT_EQ(in.remaining(), 0u);
    EXPECT_EQ(read.replica_id, 2);
    ASSERT_EQ(read.partitions.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(read.partitions[i].topic, asked.partitions[i].topic);
        EXPECT_EQ(read.partitions[i].partition, asked.partitions[i].partition);
        EXPECT_EQ(read.partitions[i].current_leader_epoch, asked.partitions[i].current_leader_epoch);
        EXPECT_EQ(read.partitions[i].leader_epoch, asked.partitions[i].leader_epoch);
    }

    std::vector<OffsetsForLeaderEpochResult> answered{{"a", 0, ErrorCode::None, 4, 120},
                                                      {"a", 3, ErrorCode::None, 0, 7},
                                                      {"b", 1, ErrorCode::UnknownLeaderEpoch, -1, -1}};
    mb::ByteBuffer response;
    KafkaWriter rw(response);
    encode_offsets_for_leader_epoch_response(rw, kReplicaOffsetsForLeaderEpochVersion, answered);
    KafkaReader rin(response.readable());
    std::vector<OffsetsForLeaderEpochResult> got;
    ASSERT_TRUE(decode_offsets_for_leader_epoch_response(rin, got));
    EXPECT_EQ(rin.remaining(), 0u);
    ASSERT_EQ(got.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(got[i].topic, answered[i].topic);
        EXPECT_EQ(got[i].partition, answered[i].partition);
        EXPECT_EQ(got[i].error, answered[i].error);
        EXPECT_EQ(got[i].leader_epoch, answered[i].leader_epoch);
        EXPECT_EQ(got[i].end_offset, answered[i].end_offset);
    }
}

TEST(OffsetsForLeaderEpoch, ResponseLayoutsV0AndV4) {
    std::vector<OffsetsForLeaderEpochResult> results{{"t", 0, ErrorCode::None, 2, 100},
                                                     {"t", 1, ErrorCode::FencedLeaderEpoch, -1, -1}};
    mb::ByteBuffer v0;
    KafkaWriter w0(v0);
    encode_offsets_for_leader_epoch_response(w0, 0, results);
    KafkaReader in0(v0.readable());
    EXPECT_EQ(in0.array_length(), 1);
    EXPECT_EQ(in0.string(), "t");
    EXPECT_EQ(in0.array_length(), 2);
    EXPECT_EQ(in0.i16(), 0);  // error first, then the partition; no leader_epoch in v0
    EXPECT_EQ(in0.i32(), 0);
    EXPECT_EQ(in0.i64(), 100);
    EXPECT_EQ(in0.i16(), 74);
    EXPECT_EQ(in0.i32(), 1);
    EXPECT_EQ(in0.i64(), -1);
    EXPECT_EQ(in0.remaining(), 0u);

    mb::ByteBuffer v4;
    KafkaWriter w4(v4);
    encode_offsets_for_leader_epoch_response(w4, 4, results);
    KafkaReader in4(v4.readable());
    EXPECT_EQ(in4.i32(), 0);  // throttle_time_ms (v2+)
    EXPECT_EQ(in4.compact_array_length(), 1);
    EXPECT_EQ(in4.compact_string(), "t");
    EXPECT_EQ(in4.compact_array_length(), 2);
    EXPECT_EQ(in4.i16(), 0);
    EXPECT_EQ(in4.i32(), 0);
    EXPECT_EQ(in4.i32(), 2);  // leader_epoch (v1+)
    EXPECT_EQ(in4.i64(), 100);
    in4.skip_tagged_fields();
    in4.skip(2 + 4 + 4 + 8);
    in4.skip_tagged_fields();  // partition
    in4.skip_tagged_fields();  // topic
    in4.skip_tagged_fields();  // response
    EXPECT_TRUE(in4.ok());
    EXPECT_EQ(in4.remaining(), 0u);
}

}  // namespace
}  // namespace minikafka
