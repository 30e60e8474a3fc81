// The ISR protocol's socket-free parts: where the controller places replicas
// (core/replica_placement.hpp), the high watermark as the minimum LEO over the ISR
// (core/partition_state.hpp), the delayed-produce purgatory (core/delayed_produce.hpp), and the
// topic records the controller commits (ConfigRecord, RemoveTopicRecord in core/metadata_image),
// and where a follower cuts its log when its leader changes (ReplicaManager::truncate_to_leader),
// told so by the leader's Fetch answer (core/replica_fetcher.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "batch_builder.hpp"
#include "big_endian.hpp"
#include "core/delayed_produce.hpp"
#include "core/metadata_image.hpp"
#include "core/partition_state.hpp"
#include "core/replica_fetcher.hpp"
#include "core/replica_manager.hpp"
#include "core/replica_placement.hpp"
#include "core/topic_creation.hpp"
#include "protocol/fetch.hpp"
#include "temp_dir.hpp"

using namespace minikafka;

TEST(ReplicaPlacement, RoundRobinFirstReplicaThenTheNextBrokers) {
    // Kafka's example: start index 0, shift 0 - the first replica walks the brokers.
    auto a = place_replicas({1, 2, 3}, 3, 2, 0, 0, 0);
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(a[0], (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(a[1], (std::vector<int32_t>{2, 3}));
    EXPECT_EQ(a[2], (std::vector<int32_t>{3, 1}));
}

TEST(ReplicaPlacement, EveryPartitionHasDistinctBrokersAndLeadershipIsSpread) {
    const std::vector<int32_t> brokers{1, 2, 3, 4, 5};
    for (uint32_t start = 0; start < 5; ++start) {
        for (uint32_t shift = 0; shift < 5; ++shift) {
            auto a = place_replicas(brokers, 10, 3, 0, start, shift);
            ASSERT_EQ(a.size(), 10u);
            std::map<int32_t, int> leaders;
            for (const auto& replicas : a) {
                ASSERT_EQ(replicas.size(), 3u);
                EXPECT_EQ(std::set<int32_t>(replicas.begin(), replicas.end()).size(), 3u);
                ++leaders[replicas[0]];
            }
            for (int32_t b : brokers) EXPECT_EQ(leaders[b], 2) << "start " << start << " shift " << shift;
        }
    }
}

TEST(ReplicaPlacement, TheStartIndexVariesTheFirstLeader) {
    EXPECT_EQ(place_replicas({1, 2, 3}, 1, 3, 0, 0, 0)[0][0], 1);
    EXPECT_EQ(place_replicas({1, 2, 3}, 1, 3, 0, 1, 0)[0][0], 2);
    EXPECT_EQ(place_replicas({1, 2, 3}, 1, 3, 0, 2, 0)[0][0], 3);
}

TEST(ReplicaPlacement, AddedPartitionsContinueThePattern) {
    auto whole = place_replicas({1, 2, 3, 4}, 8, 2, 0, 1, 2);
    auto added = place_replicas({1, 2, 3, 4}, 3, 2, 5, 1, 2);
    ASSERT_EQ(added.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(added[i], whole[5 + i]);
}

TEST(ReplicaPlacement, ReplicationFactorBeyondTheBrokersPlacesNothing) {
    EXPECT_TRUE(place_replicas({1, 2}, 1, 3, 0, 0, 0).empty());
    EXPECT_TRUE(place_replicas({}, 1, 1, 0, 0, 0).empty());
}

namespace {
PartitionState leader_of(std::vector<int32_t> isr) {
    PartitionState p;
    p.replicas = isr;
    p.isr = std::move(isr);
    p.leader = 1;
    return p;
}
}  // namespace

TEST(HighWatermark, IsTheMinimumLogEndOverTheIsr) {
    PartitionState p = leader_of({1, 2, 3});
    EXPECT_FALSE(p.advance_high_watermark(1, 120));  // followers not heard from: HW waits
    p.record_follower_fetch(2, 100, 120, 0);
    EXPECT_FALSE(p.advance_high_watermark(1, 120));  // follower 3 still unknown
    p.record_follower_fetch(3, 90, 120, 0);
    EXPECT_TRUE(p.advance_high_watermark(1, 120));
    EXPECT_EQ(p.high_watermark, 90);
    p.record_follower_fetch(3, 120, 120, 0);
    EXPECT_TRUE(p.advance_high_watermark(1, 120));
    EXPECT_EQ(p.high_watermark, 100);  // now follower 2 is the slowest
}

TEST(HighWatermark, AFollowerOutsideTheIsrDoesNotHoldItBack) {
    PartitionState p = leader_of({1, 2});
    p.replicas = {1, 2, 3};
    p.record_follower_fetch(2, 50, 50, 0);
    p.record_follower_fetch(3, 0, 50, 0);  // far behind, but not in the ISR
    EXPECT_TRUE(p.advance_high_watermark(1, 50));
    EXPECT_EQ(p.high_watermark, 50);
}

TEST(HighWatermark, NeverMovesBackAndAnIsrOfOneFollowsTheLeader) {
    PartitionState p = leader_of({1});
    EXPECT_TRUE(p.advance_high_watermark(1, 10));
    EXPECT_EQ(p.high_watermark, 10);
    p.isr = {1, 2};
    p.record_follower_fetch(2, 4, 10, 0);  // a follower re-entering behind: the HW stays
    EXPECT_FALSE(p.advance_high_watermark(1, 10));
    EXPECT_EQ(p.high_watermark, 10);
}

TEST(HighWatermark, AFollowerTakesTheLeadersButNoMoreThanItHolds) {
    PartitionState p;
    EXPECT_TRUE(p.follow_high_watermark(100, 80));
    EXPECT_EQ(p.high_watermark, 80);
    EXPECT_FALSE(p.follow_high_watermark(70, 100));
    EXPECT_EQ(p.high_watermark, 80);
}

TEST(HighWatermark, CaughtUpMeansFetchingFromTheLeadersLogEnd) {
    PartitionState p = leader_of({1, 2});
    p.record_follower_fetch(2, 5, 10, 1000);
    EXPECT_EQ(p.followers[2].last_caught_up_ms, 0);
    p.record_follower_fetch(2, 10, 10, 2000);
    EXPECT_EQ(p.followers[2].last_caught_up_ms, 2000);
    EXPECT_EQ(p.followers[2].log_end_offset, 10);
}

TEST(HighWatermark, AFollowerOneBatchBehindUnderSteadyLoadIsStillCaughtUp) {
    PartitionState p = leader_of({1, 2});
    // Each fetch asks for what the leader's log end was at the previous fetch.
    p.record_follower_fetch(2, 0, 10, 1000);
    p.record_follower_fetch(2, 10, 20, 1100);
    EXPECT_EQ(p.followers[2].last_caught_up_ms, 1000);
    p.record_follower_fetch(2, 20, 30, 1200);
    EXPECT_EQ(p.followers[2].last_caught_up_ms, 1100);
    // Falling further behind: no longer caught up, the time stays.
    p.record_follower_fetch(2, 25, 40, 1300);
    EXPECT_EQ(p.followers[2].last_caught_up_ms, 1100);
}

// A new leader's HW is the one it learnt as a follower, a fetch behind what the old leader
// acknowledged. A follower at that HW may still lack an acknowledged record: it returns only once
// it also holds the leader's log as it was at the election (the likely cause of the record the
// fault checker saw lost, with an OUT_OF_ORDER_SEQUENCE_NUMBER right after, when two leaders of a
// partition were killed one after the other).
TEST(Isr, AFollowerReturnsOnlyPastTheStartOfTheLeadersEpoch) {
    PartitionState p = leader_of({1, 2, 3});
    p.isr = {1, 2};
    p.high_watermark = 10;             // learnt from the old leader, which had acknowledged up to 12
    p.leader_epoch_start_offset = 12;  // our log end at the election
    p.record_follower_fetch(3, 10, 14, 1000);
    EXPECT_EQ(p.wanted_isr(1, 1000, 1000), (std::vector<int32_t>{1, 2}));  // at the HW, but not 10-11
    p.record_follower_fetch(3, 12, 14, 1100);
    EXPECT_EQ(p.wanted_isr(1, 1100, 1000), (std::vector<int32_t>{1, 2, 3}));
}

TEST(Isr, LaggingFollowersLeaveAndCaughtUpOnesReturn) {
    PartitionState p = leader_of({1, 2, 3});
    p.high_watermark = 10;
    p.record_follower_fetch(2, 10, 10, 1000);  // caught up at 1000
    p.record_follower_fetch(3, 4, 10, 1000);   // behind: its last catch-up was at 900
    p.followers[3].last_caught_up_ms = 900;
    EXPECT_EQ(p.wanted_isr(1, 1500, 1000), (std::vector<int32_t>{1, 2, 3}));  // within the lag time
    p.record_follower_fetch(2, 10, 10, 2400);
    EXPECT_EQ(p.wanted_isr(1, 2500, 1000), (std::vector<int32_t>{1, 2}));  // 3 lags by 2.5 s
    p.isr = {1, 2};
    p.record_follower_fetch(3, 8, 10, 2600);
    EXPECT_EQ(p.wanted_isr(1, 2600, 1000), (std::vector<int32_t>{1, 2}));  // LEO 8 < HW 10: not yet
    p.record_follower_fetch(3, 10, 10, 2700);
    EXPECT_EQ(p.wanted_isr(1, 2700, 1000), (std::vector<int32_t>{1, 2, 3}));  // back in
    EXPECT_EQ(p.wanted_isr(1, 9000, 1000), (std::vector<int32_t>{1}));        // both silent since: out
    p.isr = {1};
    EXPECT_EQ(p.wanted_isr(1, 9000, 1000), (std::vector<int32_t>{1}));  // a silent follower does not return
}

TEST(DelayedProduce, CompletesThoseTheHighWatermarkCoversInOffsetOrder) {
    DelayedProduce purgatory;
    std::vector<std::pair<int64_t, bool>> done;
    purgatory.wait(105, [&](bool ok) { done.emplace_back(105, ok); });
    purgatory.wait(103, [&](bool ok) { done.emplace_back(103, ok); });
    purgatory.wait(110, [&](bool ok) { done.emplace_back(110, ok); });
    purgatory.complete_up_to(104);
    EXPECT_EQ(done, (std::vector<std::pair<int64_t, bool>>{{103, true}}));
    purgatory.complete_up_to(105);
    EXPECT_EQ(done.size(), 2u);
    purgatory.fail_all();  // leadership moved: the rest fail
    EXPECT_EQ(done.back(), (std::pair<int64_t, bool>{110, false}));
    EXPECT_EQ(purgatory.size(), 0u);
}

TEST(MetadataImage, TopicConfigsAndRemovalSurviveTheWireAndTheSnapshot) {
    MetadataImage image;
    Uuid id{};
    id[0] = 7;
    auto apply = [&](const MetadataRecord& r) { image.apply(0, encode_metadata_record(r)); };
    apply(TopicRecord{"orders", id});
    apply(ConfigRecord{2, "orders", "min.insync.replicas", std::string("3")});
    PartitionRecord p;
    p.partition_id = 0;
    p.topic_id = id;
    p.replicas = p.isr = {1, 2, 3};
    p.leader = 1;
    apply(p);
    ASSERT_EQ(image.topics().at(id).configs.at("min.insync.replicas"), "3");
    MetadataImage restored;
    restored.restore(image.snapshot());
    EXPECT_EQ(restored.topics().at(id).configs.at("min.insync.replicas"), "3");
    EXPECT_EQ(restored.topics().at(id).partitions.at(0).replicas, (std::vector<int32_t>{1, 2, 3}));
    apply(ConfigRecord{2, "orders", "min.insync.replicas", std::nullopt});  // back to the default
    EXPECT_TRUE(image.topics().at(id).configs.empty());
    apply(RemoveTopicRecord{id});
    EXPECT_TRUE(image.topics().empty());
    EXPECT_EQ(image.unreadable_records(), 0);
}

// A broker told by the metadata that it holds thousands of new replicas (a big CreateTopics or
// CreatePartitions in a cluster) makes their logs a slice per call - one turn of the event loop -
// instead of all at once: the broker thread serves clients between slices. A partition without
// its log yet has no replica state either; the call that makes the last one says it is done.
TEST(ReplicaLogs, ManyNewReplicasAreMadeASlicePerCall) {
    test::TempDir dir;
    LogManager logs(dir.path(), LogConfig{});
    ReplicaManager replicas(ReplicaConfig{2, 1, 30000}, logs);
    MetadataImage image;
    Uuid id{};
    id[0] = 9;
    auto apply = [&](const MetadataRecord& r) { image.apply(0, encode_metadata_record(r)); };
    apply(TopicRecord{"wide", id});
    const int32_t count = 2 * kPartitionsPerTurn + 7;
    for (int32_t i = 0; i < count; ++i) {
        PartitionRecord record;
        record.partition_id = i;
        record.topic_id = id;
        record.replicas = record.isr = {2};
        record.leader = 2;
        record.leader_epoch = record.partition_epoch = 0;
        apply(record);
    }
    auto logs_made = [&]() -> int32_t {
        const Topic* topic = logs.find("wide");
        if (!topic) return 0;
        return static_cast<int32_t>(std::count_if(topic->partitions.begin(), topic->partitions.end(),
                                                  [](const auto& log) { return log != nullptr; }));
    };
    EXPECT_FALSE(replicas.apply_image(image, 0));
    EXPECT_EQ(logs_made(), kPartitionsPerTurn);
    EXPECT_EQ(replicas.partitions().size(), static_cast<size_t>(kPartitionsPerTurn));
    ASSERT_NE(replicas.find("wide", 0), nullptr);
    EXPECT_EQ(replicas.find("wide", count - 1), nullptr);  // not hosted here yet
    int calls = 1;
    while (!replicas.apply_image(image, 0)) ++calls;
    EXPECT_EQ(calls + 1, 3);
    EXPECT_EQ(logs_made(), count);
    ASSERT_NE(replicas.find("wide", count - 1), nullptr);
    EXPECT_TRUE(replicas.leads(*replicas.find("wide", count - 1)));
    EXPECT_TRUE(replicas.apply_image(image, 0));  // nothing new: done at once
}

// A follower whose leader changes must not cut its log before it has asked the new leader where
// they diverge. The old rule cut at once - to its high watermark, which a follower learns a fetch
// late (here it never learnt one) - and lost what the new leader, and the producers' acks, had.
TEST(FollowerTruncation, ALeaderChangeCutsNothingUntilTheLeaderHasAnswered) {
    test::TempDir dir;
    LogManager logs(dir.path(), LogConfig{});
    ReplicaManager replicas(ReplicaConfig{2, 2, 30000}, logs);
    MetadataImage image;
    Uuid id{};
    id[0] = 7;
    auto apply = [&](const MetadataRecord& r) { image.apply(0, encode_metadata_record(r)); };
    apply(TopicRecord{"orders", id});
    PartitionRecord record;
    record.partition_id = 0;
    record.topic_id = id;
    record.replicas = record.isr = {1, 2, 3};
    record.leader = 1;
    record.leader_epoch = record.partition_epoch = 0;
    apply(record);
    replicas.apply_image(image, 0);
    PartitionState* p = replicas.find("orders", 0);
    PartitionLog* log = logs.partition("orders", 0);
    ASSERT_TRUE(p && log);
    for (int i = 0; i < 5; ++i) {  // fetched from leader 1, epoch 0: offsets 0-4
        std::string batch = test::make_batch_of(1);
        set_partition_leader_epoch(batch.data(), 0);
        RecordBatchHeader h;
        ASSERT_EQ(validate_batch(batch, h), BatchCheck::ok);
        log->append_as_follower(batch, h, 0);
    }
    p->truncation_pending = false;
    // Leader 1 dies; 3 leads epoch 1. Our HW is still 0.
    record.leader = 3;
    record.isr = {2, 3};
    record.leader_epoch = record.partition_epoch = 1;
    apply(record);
    replicas.apply_image(image, 0);
    EXPECT_TRUE(p->truncation_pending);  // no Fetch until it has asked
    EXPECT_EQ(log->log_end_offset(), 5);
    // Leader 3 holds epoch 0 up to 5 as well: nothing differs, nothing is cut.
    EXPECT_TRUE(replicas.truncate_to_leader(*p, *log, 0, EpochEnd{0, 5}));
    EXPECT_FALSE(p->truncation_pending);
    EXPECT_EQ(log->log_end_offset(), 5);
    // Had it held only 0-2 of epoch 0, our 3-4 would be a tail it never had: cut.
    p->truncation_pending = true;
    EXPECT_TRUE(replicas.truncate_to_leader(*p, *log, 0, EpochEnd{0, 3}));
    EXPECT_EQ(log->log_end_offset(), 3);
}

// What a leader answers a follower's Fetch v12 for one partition, from its own log (the checks of
// handlers/fetch.cpp: the diverging epoch, else the records from the fetch offset), as bytes
// after the correlation id - what the follower's fetcher gets.
std::string leader_answer(const PartitionLog& leader, const FetchRequest& request) {
    EXPECT_EQ(request.partitions.size(), 1u);
    const FetchPartition& wanted = request.partitions.at(0);
    FetchPartitionResult result;
    result.topic = wanted.topic;
    result.partition = wanted.partition;
    result.high_watermark = leader.log_end_offset();
    result.log_start_offset = 0;
    std::string records;
    PartitionLog::FetchEpochCheck check =
        leader.check_last_fetched_epoch(wanted.last_fetched_epoch, wanted.fetch_offset);
    if (check.result == PartitionLog::FetchEpochCheck::diverges) {
        result.diverging_epoch = check.diverging.epoch;
        result.diverging_end_offset = check.diverging.end_offset;
    } else if (auto slice = leader.read(wanted.fetch_offset, 1 << 20)) {
        records.resize(slice->size);
        EXPECT_EQ(slice->file->read_at(slice->position, records.data(), slice->size), slice->size);
        result.records_size = slice->size;
    }
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    out.empty_tagged_fields();  // response header v1
    std::vector<FetchPartitionResult> results{result};
    encode_fetch_response(out, kReplicaFetchVersion, ErrorCode::None, results, [&](size_t) { out.bytes(records); });
    return std::string(buffer.readable());
}

int32_t epoch_at(const PartitionLog& log, int64_t offset) {
    auto slice = log.read(offset, 1);
    EXPECT_TRUE(slice.has_value());
    char bytes[16];
    EXPECT_EQ(slice->file->read_at(slice->position, bytes, sizeof bytes), sizeof bytes);
    return mb::load_big_endian<int32_t>(bytes + 12);
}

// KIP-595's truncation on fetch (Kafka 2.7+): a follower whose leader changed does not ask
// OffsetsForLeaderEpoch first - its Fetch names the epoch of its last record, the leader answers
// where that history ends in its log, and the follower cuts exactly there and fetches again.
//   us (node 2):  epoch 0: 0-4 (from leader 1) | epoch 1: 5-7 (we led; never replicated)
//   leader 3:     epoch 0: 0-5                 | epoch 2: 6-7
// The Fetch [@8, last epoch 1] is answered "epoch 0 ends at 6"; we hold epoch 0 only to 5: cut to 5.
// Then [@5, last epoch 0] agrees and brings 5-7 - both logs hold the same epochs at every offset.
TEST(FollowerTruncation, ADivergedFollowerCutsWhereTheLeadersFetchAnswerSays) {
    test::TempDir dir, leader_dir;
    LogManager logs(dir.path(), LogConfig{});
    ReplicaManager replicas(ReplicaConfig{2, 2, 30000}, logs);
    MetadataImage image;
    Uuid id{};
    id[0] = 9;
    auto apply = [&](const MetadataRecord& r) { image.apply(0, encode_metadata_record(r)); };
    apply(TopicRecord{"orders", id});
    PartitionRecord record;
    record.partition_id = 0;
    record.topic_id = id;
    record.replicas = record.isr = {1, 2, 3};
    record.leader = 1;
    record.leader_epoch = record.partition_epoch = 0;
    apply(record);
    replicas.apply_image(image, 0);
    PartitionState* p = replicas.find("orders", 0);
    PartitionLog* log = logs.partition("orders", 0);
    ASSERT_TRUE(p && log);
    auto append_in_epoch = [](PartitionLog& to, int32_t epoch) {
        std::string batch = test::make_batch_of(1);
        set_partition_leader_epoch(batch.data(), epoch);
        RecordBatchHeader h;
        ASSERT_EQ(validate_batch(batch, h), BatchCheck::ok);
        to.append_as_follower(batch, h, 0);
    };
    for (int i = 0; i < 5; ++i) append_in_epoch(*log, 0);
    // We lead epoch 1 and append 5-7, which nobody fetches before we are cut off.
    record.leader = 2;
    record.leader_epoch = record.partition_epoch = 1;
    apply(record);
    replicas.apply_image(image, 0);
    ASSERT_TRUE(replicas.leads(*p));
    for (int i = 0; i < 3; ++i) {
        std::string batch = test::make_batch_of(1);
        RecordBatchHeader h;
        ASSERT_EQ(validate_batch(batch, h), BatchCheck::ok);
        log->append(batch, h, 0);
    }
    // Leader 3 had one more record of epoch 0, and leads epoch 2 with two records of its own.
    PartitionLog leader(leader_dir.path(), LogConfig{}, 0);
    for (int i = 0; i < 6; ++i) append_in_epoch(leader, 0);
    leader.become_leader(2);
    append_in_epoch(leader, 2);
    append_in_epoch(leader, 2);
    record.leader = 3;
    record.isr = {1, 3};
    record.leader_epoch = record.partition_epoch = 2;
    apply(record);
    replicas.apply_image(image, 0);
    ASSERT_FALSE(replicas.leads(*p));
    ASSERT_EQ(log->log_end_offset(), 8);

    ReplicaFetcher fetcher(2, 3, replicas, logs);
    WireRequest wire;  // the decoded request's topic names point into its body: kept alive here
    auto next_fetch = [&] {
        wire = fetcher.build_request(500);
        EXPECT_EQ(wire.key, ApiKey::Fetch);  // no OffsetsForLeaderEpoch round trip first
        EXPECT_EQ(wire.version, kReplicaFetchVersion);
        FetchRequest request;
        KafkaReader in(wire.body);
        decode_fetch_request(in, wire.version, request);
        EXPECT_TRUE(in.ok());
        EXPECT_EQ(in.remaining(), 0u);
        return request;
    };
    FetchRequest request = next_fetch();
    ASSERT_EQ(request.partitions.size(), 1u);
    EXPECT_EQ(request.partitions[0].fetch_offset, 8);
    EXPECT_EQ(request.partitions[0].last_fetched_epoch, 1);
    EXPECT_EQ(request.partitions[0].current_leader_epoch, 2);
    ASSERT_TRUE(fetcher.handle_response(ApiKey::Fetch, leader_answer(leader, request), 0));
    EXPECT_EQ(log->log_end_offset(), 5);  // not 6 (the leader's end of epoch 0), not the HW (0)

    request = next_fetch();
    ASSERT_EQ(request.partitions.size(), 1u);
    EXPECT_EQ(request.partitions[0].fetch_offset, 5);
    EXPECT_EQ(request.partitions[0].last_fetched_epoch, 0);
    ASSERT_TRUE(fetcher.handle_response(ApiKey::Fetch, leader_answer(leader, request), 0));
    ASSERT_EQ(log->log_end_offset(), 8);
    for (int64_t offset = 0; offset < 8; ++offset)
        EXPECT_EQ(epoch_at(*log, offset), epoch_at(leader, offset)) << offset;
    EXPECT_EQ(log->leader_epochs().entries(), leader.leader_epochs().entries());
}

// Kafka's replica.fetch.* settings reach the follower's Fetch: how long it may wait at the leader
// (wait.max.ms, min.bytes) and how much one answer may carry (max.bytes per partition,
// response.max.bytes in all). docs/minikafka/05 "What keeps the follower path cheap" says why the
// defaults stay Kafka's (1 MB per partition: bigger answers cost the follower more CPU per record).
TEST(ReplicaFetcher, AsksForWhatTheReplicaFetchSettingsSay) {
    test::TempDir dir;
    LogManager logs(dir.path(), LogConfig{});
    ReplicaManager replicas(ReplicaConfig{2, 2, 30000}, logs);
    MetadataImage image;
    Uuid id{};
    id[0] = 9;
    image.apply(0, encode_metadata_record(TopicRecord{"orders", id}));
    PartitionRecord record;
    record.topic_id = id;
    record.replicas = record.isr = {1, 2, 3};
    record.leader = 1;
    record.leader_epoch = record.partition_epoch = 4;
    for (int32_t partition : {0, 1}) {
        record.partition_id = partition;
        image.apply(0, encode_metadata_record(record));
    }
    replicas.apply_image(image, 0);

    auto request_of = [&](ReplicaFetcher& fetcher, int32_t max_wait_ms) {
        WireRequest wire = fetcher.build_request(max_wait_ms);
        FetchRequest request;
        KafkaReader in(wire.body);
        decode_fetch_request(in, wire.version, request);
        EXPECT_TRUE(in.ok());
        return std::make_pair(request, std::move(wire));  // the request's names point into the wire
    };
    ReplicaFetcher kafkas_defaults(2, 1, replicas, logs);
    auto [defaults, wire] = request_of(kafkas_defaults, 500);
    EXPECT_EQ(defaults.replica_id, 2);
    EXPECT_EQ(defaults.max_wait_ms, 500);
    EXPECT_EQ(defaults.min_bytes, 1);
    EXPECT_EQ(defaults.max_bytes, 10 << 20);
    ASSERT_EQ(defaults.partitions.size(), 2u);  // one request covers every partition on leader 1
    for (const FetchPartition& p : defaults.partitions) {
        EXPECT_EQ(p.partition_max_bytes, 1 << 20);
        EXPECT_EQ(p.current_leader_epoch, 4);
        EXPECT_EQ(p.fetch_offset, 0);
    }

    ReplicaFetcher configured(2, 1, replicas, logs, ReplicaFetchConfig{250, 4096, 8 << 20, 32 << 20});
    auto [request, wire2] = request_of(configured, 250);
    EXPECT_EQ(request.max_wait_ms, 250);
    EXPECT_EQ(request.min_bytes, 4096);
    EXPECT_EQ(request.max_bytes, 32 << 20);
    ASSERT_EQ(request.partitions.size(), 2u);
    for (const FetchPartition& p : request.partitions) EXPECT_EQ(p.partition_max_bytes, 8 << 20);
}
