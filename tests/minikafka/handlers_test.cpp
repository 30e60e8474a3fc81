// The handler layer without sockets: requests are built as bytes, dispatched to a Broker whose
// clock, timers and background worker the test controls, and the Reply bytes are decoded again.
// This is where acks=0, durable acknowledgements (deferred until the fsync), long-polling
// fetches and their timeouts are checked step by step.
#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>

#include "batch_builder.hpp"
#include "core/metadata_image.hpp"
#include "core/replica_manager.hpp"
#include "core/topic_creation.hpp"
#include "handlers/handler_table.hpp"

namespace minikafka {
namespace {

class HandlerTest : public ::testing::Test {
protected:
    void SetUp() override { start(LogConfig{}); }
    void TearDown() override {
        broker_.reset();
        worker_.reset();
        std::filesystem::remove_all(dir_);
    }

    // A restart on the same data directory (after the background work has finished).
    void TearDownBrokerOnly() {
        run_pending();
        broker_.reset();
        worker_.reset();
        open_broker(LogConfig{});
    }

    void start(LogConfig defaults) {
        char pattern[] = "/tmp/minikafka-handlers-XXXXXX";
        dir_ = mkdtemp(pattern);
        open_broker(defaults);
    }

    void open_broker(LogConfig defaults) {
        worker_ = std::make_unique<BackgroundWorker>([this](std::function<void()> done) {
            std::lock_guard lock(posted_mutex_);
            posted_.push_back(std::move(done));
        });
        BrokerServices services;
        services.now_ms = [this] { return now_; };
        services.run_later = [this](int64_t delay, std::function<void()> f) { timers_.emplace_back(now_ + delay, f); };
        services.background = worker_.get();
        GroupConfig groups{1000, 60000, 0};
        broker_ = std::make_unique<Broker>(BrokerConfig{}, defaults, groups, dir_, services);
        broker_->load();
    }

    // Runs what the event loop would: due timers, then the background worker's completions.
    void run_pending(int64_t advance_ms = 0) {
        now_ += advance_ms;
        for (bool progress = true; progress;) {
            progress = false;
            for (size_t i = 0; i < timers_.size(); ++i)
                if (timers_[i].first <= now_) {
                    auto f = std::move(timers_[i].second);
                    timers_.erase(timers_.begin() + static_cast<long>(i));
                    f();
                    progress = true;
                    break;
                }
            worker_->drain();
            std::deque<std::function<void()>> posted;
            {
                std::lock_guard lock(posted_mutex_);
                posted.swap(posted_);
            }
            for (auto& f : posted) f(), progress = true;
        }
    }

    std::shared_ptr<Reply> call(ApiKey key, int16_t version, const std::function<void(KafkaWriter&)>& body) {
        mb::ByteBuffer frame;
        KafkaWriter w(frame);
        w.i16(static_cast<int16_t>(key));
        w.i16(version);
        w.i32(++correlation_);
        w.nullable_string("handler-test");
        body(w);
        KafkaReader in(frame.readable());
        RequestHeader header = decode_request_header(in);
        auto reply = std::make_shared<Reply>();
        reply->start(header);
        EXPECT_TRUE(dispatch(*broker_, header, in, *reply));
        if (!reply->deferred()) reply->finish();
        return reply;
    }

    // The body of a finished reply (after the size prefix and the correlation id).
    static KafkaReader body_of(const Reply& reply) {
        KafkaReader in(reply.bytes().readable());
        in.i32();
        in.i32();
        return in;
    }

    std::shared_ptr<Reply> produce(const std::string& topic, const std::string& records, int16_t acks = 1) {
        return call(ApiKey::Produce, 7, [&](KafkaWriter& w) {
            w.nullable_string(std::nullopt);
            w.i16(acks);
            w.i32(30000);
            w.array_length(1);
            w.string(topic);
            w.array_length(1);
            w.i32(0);
            w.kafka_bytes(records);
        });
    }

    struct ProduceAnswer {
        int16_t error;
        int64_t base_offset;
    };
    static ProduceAnswer produce_answer(const Reply& reply) {
        KafkaReader in = body_of(reply);
        in.i32();     // topics
        in.string();  // name
        in.i32();     // partitions
        in.i32();     // index
        int16_t error = in.i16();
        int64_t offset = in.i64();
        EXPECT_TRUE(in.ok());
        return {error, offset};
    }

    // replica_id >= 0: a follower's fetch (cluster mode), as node `replica_id`.
    std::shared_ptr<Reply> fetch(const std::string& topic, int64_t offset, int32_t max_wait_ms,
                                 int32_t replica_id = -1) {
        return call(ApiKey::Fetch, 11, [&](KafkaWriter& w) {
            w.i32(replica_id);
            w.i32(max_wait_ms);
            w.i32(1);  // min_bytes
            w.i32(1 << 20);
            w.i8(0);
            w.i32(0);
            w.i32(-1);
            w.array_length(1);
            w.string(topic);
            w.array_length(1);
            w.i32(0);
            w.i32(-1);
            w.i64(offset);
            w.i64(-1);
            w.i32(1 << 20);
            w.array_length(0);
            w.string("");
        });
    }

    struct FetchAnswer {
        int16_t error;
        int64_t high_watermark;
        uint32_t records_size;
        size_t slices;
    };
    static FetchAnswer fetch_answer(const Reply& reply) {
        KafkaReader in = body_of(reply);
        in.i32();  // throttle
        in.i16();  // error
        in.i32();  // session
        in.i32();  // topics
        in.string();
        in.i32();  // partitions
        in.i32();  // index
        int16_t error = in.i16();
        int64_t hw = in.i64();
        in.i64();  // lso
        in.i64();  // log start
        in.i32();  // aborted
        in.i32();  // preferred replica
        uint32_t size = static_cast<uint32_t>(in.i32());
        EXPECT_TRUE(in.ok());
        return {error, hw, size, reply.slices().size()};
    }

    std::string dir_;
    std::unique_ptr<BackgroundWorker> worker_;
    std::unique_ptr<Broker> broker_;
    std::mutex posted_mutex_;
    std::deque<std::function<void()>> posted_;
    std::vector<std::pair<int64_t, std::function<void()>>> timers_;
    int64_t now_ = 1'000'000;
    int32_t correlation_ = 0;

    std::shared_ptr<Reply> create_topic(const std::string& name, int32_t partitions) {
        return call(ApiKey::CreateTopics, 4, [&](KafkaWriter& w) {
            w.array_length(1);
            w.string(name);
            w.i32(partitions);
            w.i16(1);           // replication factor
            w.array_length(0);  // assignments
            w.array_length(0);  // configs
            w.i32(30000);       // timeout_ms
            w.boolean(false);   // validate_only
        });
    }
    std::shared_ptr<Reply> create_partitions(const std::string& name, int32_t total) {
        return call(ApiKey::CreatePartitions, 1, [&](KafkaWriter& w) {
            w.array_length(1);
            w.string(name);
            w.i32(total);
            w.i32(-1);         // assignments: null
            w.i32(30000);      // timeout_ms
            w.boolean(false);  // validate_only
        });
    }
    static int16_t create_topic_error(const Reply& reply) {
        KafkaReader in = body_of(reply);
        in.i32();  // throttle_time_ms
        EXPECT_EQ(in.array_length(), 1);
        in.string();
        int16_t error = in.i16();
        EXPECT_TRUE(in.ok());
        return error;
    }
    size_t directories_of(const std::string& topic) const {
        size_t count = 0;
        for (const auto& entry : std::filesystem::directory_iterator(dir_))
            if (entry.path().filename().string().starts_with(topic + "-")) ++count;
        return count;
    }
};

// A CreateTopics of many partitions must not hold the broker thread until the last one is made:
// it makes kPartitionsPerTurn per turn of the event loop (here: the test's timer list) and
// answers after the last. Between turns other requests are served - here a second CreateTopics
// of the same name, refused at once: the name is taken, the topic not visible yet.
TEST_F(HandlerTest, CreateTopicsOfManyPartitionsYieldsToTheLoopBetweenSlices) {
    const int32_t partitions = 3 * kPartitionsPerTurn + 17;
    auto reply = create_topic("wide", partitions);
    EXPECT_FALSE(reply->ready());
    EXPECT_EQ(directories_of("wide"), static_cast<size_t>(kPartitionsPerTurn));
    EXPECT_EQ(broker_->logs.find("wide"), nullptr);

    auto second = create_topic("wide", 5);
    ASSERT_TRUE(second->ready());
    EXPECT_EQ(create_topic_error(*second), static_cast<int16_t>(ErrorCode::TopicAlreadyExists));

    int turns = 1;
    while (!reply->ready()) {
        ASSERT_EQ(timers_.size(), 1u);  // the next slice, and nothing else
        auto next_slice = std::move(timers_.front().second);
        timers_.clear();
        next_slice();
        ++turns;
        EXPECT_LE(directories_of("wide"), static_cast<size_t>(turns * kPartitionsPerTurn));
    }
    EXPECT_EQ(turns, 4);
    EXPECT_EQ(create_topic_error(*reply), 0);
    ASSERT_NE(broker_->logs.find("wide"), nullptr);
    EXPECT_EQ(broker_->logs.find("wide")->partitions.size(), static_cast<size_t>(partitions));
    EXPECT_EQ(directories_of("wide"), static_cast<size_t>(partitions));

    // A small topic fits in one turn: answered at once, as before.
    auto small = create_topic("narrow", 3);
    ASSERT_TRUE(small->ready());
    EXPECT_EQ(create_topic_error(*small), 0);
    EXPECT_NE(broker_->logs.partition("narrow", 2), nullptr);
}

// CreatePartitions is sliced the same way: between its slices another client is served - its
// Produce is answered while the CreatePartitions answer is still to come - and the topic keeps
// its old partition count until the last new partition is made.
TEST_F(HandlerTest, CreatePartitionsOfManyPartitionsYieldsToTheLoopBetweenSlices) {
    ASSERT_EQ(create_topic_error(*create_topic("grow", 2)), 0);
    const int32_t total = 2 + 3 * kPartitionsPerTurn + 5;
    auto reply = create_partitions("grow", total);
    EXPECT_FALSE(reply->ready());
    EXPECT_EQ(directories_of("grow"), static_cast<size_t>(2 + kPartitionsPerTurn));
    EXPECT_EQ(broker_->logs.find("grow")->partitions.size(), 2u);

    // Another client, between two slices: served at once, before the CreatePartitions answer.
    auto other = produce("grow", test::make_batch_of(3));
    ASSERT_TRUE(other->ready());
    EXPECT_EQ(produce_answer(*other).error, 0);
    EXPECT_FALSE(reply->ready());
    // A second CreatePartitions of the same topic is refused at once, not queued behind.
    auto second = create_partitions("grow", total + 1);
    ASSERT_TRUE(second->ready());
    EXPECT_EQ(create_topic_error(*second), static_cast<int16_t>(ErrorCode::InvalidPartitions));

    int turns = 1;
    while (!reply->ready()) {
        ASSERT_EQ(timers_.size(), 1u);  // the next slice, and nothing else
        auto next_slice = std::move(timers_.front().second);
        timers_.clear();
        next_slice();
        ++turns;
    }
    EXPECT_EQ(turns, 4);
    EXPECT_EQ(create_topic_error(*reply), 0);
    EXPECT_EQ(broker_->logs.find("grow")->partitions.size(), static_cast<size_t>(total));
    EXPECT_EQ(directories_of("grow"), static_cast<size_t>(total));
    EXPECT_EQ(broker_->logs.partition("grow", 0)->log_end_offset(), 3);  // the old ones as they were

    // A few new partitions fit in one turn: answered at once, as before.
    auto small = create_partitions("grow", total + 2);
    ASSERT_TRUE(small->ready());
    EXPECT_EQ(create_topic_error(*small), 0);
    EXPECT_NE(broker_->logs.partition("grow", total + 1), nullptr);
}

TEST_F(HandlerTest, ProduceAssignsOffsetsAndAutoCreatesTheTopic) {
    auto first = produce("orders", test::make_batch_of(3));
    ASSERT_TRUE(first->ready());
    EXPECT_EQ(produce_answer(*first).error, 0);
    EXPECT_EQ(produce_answer(*first).base_offset, 0);
    EXPECT_EQ(produce_answer(*produce("orders", test::make_batch_of(2))).base_offset, 3);
    EXPECT_EQ(broker_->logs.partition("orders", 0)->log_end_offset(), 5);
}

TEST_F(HandlerTest, CorruptBatchIsRefusedAndNothingIsAppended) {
    std::string batch = test::make_batch_of(3);
    batch[batch.size() - 2] ^= 0x40;
    auto reply = produce("orders", batch);
    EXPECT_EQ(produce_answer(*reply).error, static_cast<int16_t>(ErrorCode::CorruptMessage));
    EXPECT_EQ(broker_->logs.partition("orders", 0)->log_end_offset(), 0);
    std::string two = test::make_batch_of(1) + test::make_batch_of(1);
    EXPECT_EQ(produce_answer(*produce("orders", two)).error, static_cast<int16_t>(ErrorCode::InvalidRecord));
}

TEST_F(HandlerTest, AcksZeroGetsNoResponseAtAll) {
    auto reply = produce("orders", test::make_batch_of(1), 0);
    EXPECT_TRUE(reply->ready());
    EXPECT_TRUE(reply->omitted());
    EXPECT_EQ(broker_->logs.partition("orders", 0)->log_end_offset(), 1);
}

TEST_F(HandlerTest, DurableAckWaitsForTheFsyncThatCoversIt) {
    TearDown();
    LogConfig durable;
    durable.flush_messages = 1;
    start(durable);
    auto a = produce("ledger", test::make_batch_of(1));
    auto b = produce("ledger", test::make_batch_of(1));
    EXPECT_FALSE(a->ready());  // encoded, but held until the data is on disk
    EXPECT_FALSE(b->ready());
    run_pending();  // the queued flush starts, the worker fsyncs, its completion runs
    EXPECT_TRUE(a->ready());
    EXPECT_TRUE(b->ready());
    EXPECT_EQ(produce_answer(*b).base_offset, 1);
    EXPECT_EQ(broker_->logs.partition("ledger", 0)->flushed_offset(), 2);
}

TEST_F(HandlerTest, FetchReturnsStoredBatchesAsFileSlices) {
    produce("orders", test::make_batch_of(3));
    auto reply = fetch("orders", 1, 500);
    ASSERT_TRUE(reply->ready());
    FetchAnswer answer = fetch_answer(*reply);
    EXPECT_EQ(answer.error, 0);
    EXPECT_EQ(answer.high_watermark, 3);
    EXPECT_EQ(answer.records_size, test::make_batch_of(3).size());
    EXPECT_EQ(answer.slices, 1u);  // the record bytes are not in the reply: sendfile sends them
    EXPECT_EQ(reply->size(), reply->bytes().size() + answer.records_size);
}

TEST_F(HandlerTest, FetchOutsideTheLogIsOffsetOutOfRange) {
    produce("orders", test::make_batch_of(3));
    EXPECT_EQ(fetch_answer(*fetch("orders", 4, 0)).error, static_cast<int16_t>(ErrorCode::OffsetOutOfRange));
    EXPECT_EQ(fetch_answer(*fetch("orders", -1, 0)).error, static_cast<int16_t>(ErrorCode::OffsetOutOfRange));
    EXPECT_EQ(fetch_answer(*fetch("nowhere", 0, 0)).error, static_cast<int16_t>(ErrorCode::UnknownTopicOrPartition));
}

TEST_F(HandlerTest, LongPollIsAnsweredByTheNextAppend) {
    produce("orders", test::make_batch_of(1));
    auto waiting = fetch("orders", 1, 500);
    EXPECT_FALSE(waiting->ready());
    produce("orders", test::make_batch_of(2));
    ASSERT_TRUE(waiting->ready());
    EXPECT_EQ(fetch_answer(*waiting).records_size, test::make_batch_of(2).size());
    run_pending(1000);  // its timer fires later and must not answer twice
    EXPECT_EQ(fetch_answer(*waiting).high_watermark, 3);
}

// Kafka's delayed fetches are keyed by partition: an append re-checks only the long polls that
// read that partition, so idle consumers of other partitions cost a produce nothing.
TEST_F(HandlerTest, AnAppendWakesOnlyTheLongPollsOnItsPartition) {
    produce("orders", test::make_batch_of(1));
    produce("payments", test::make_batch_of(1));
    struct CountingWaiter : FetchWaiter {
        int wakes = 0;
        bool on_records_appended() override {
            ++wakes;
            return false;
        }
        bool finished() const override { return false; }
    };
    auto on_orders = std::make_shared<CountingWaiter>();
    const PartitionLog* orders = broker_->logs.partition("orders", 0);
    broker_->add_fetch_waiter(on_orders, {orders, orders, orders});  // named three times, counted once
    produce("payments", test::make_batch_of(1));
    EXPECT_EQ(on_orders->wakes, 0);
    produce("orders", test::make_batch_of(1));
    EXPECT_EQ(on_orders->wakes, 1);
    // A real long poll on payments is answered by an append there, not by one to orders.
    auto waiting = fetch("payments", 2, 500);
    produce("orders", test::make_batch_of(1));
    EXPECT_FALSE(waiting->ready());
    EXPECT_EQ(on_orders->wakes, 2);
    produce("payments", test::make_batch_of(2));
    ASSERT_TRUE(waiting->ready());
    EXPECT_EQ(fetch_answer(*waiting).records_size, test::make_batch_of(2).size());
}

// Cluster mode: an acks=all append moves the leader's log end, which followers read up to; the HW
// moves only once the last follower has fetched the batch, and that is what consumers wait for.
// Each kind of long poll is woken by its own event (FetchWake), not by both: before, every batch
// woke the consumers for nothing at the append, and each parked follower fetch again at the HW.
TEST_F(HandlerTest, InAClusterAppendsWakeFollowersAndHighWatermarkMovesWakeConsumers) {
    ReplicaManager replicas(ReplicaConfig{1, 1, 30000}, broker_->logs);
    MetadataImage image;
    Uuid id{};
    id[0] = 5;
    image.apply(0, encode_metadata_record(TopicRecord{"orders", id}));
    PartitionRecord record;
    record.partition_id = 0;
    record.topic_id = id;
    record.replicas = record.isr = {1, 2, 3};
    record.leader = 1;  // this broker
    record.leader_epoch = record.partition_epoch = 0;
    image.apply(0, encode_metadata_record(record));
    replicas.apply_image(image, now_);
    broker_->replicas = &replicas;
    // As replica_fetcher_link.cpp wires it: a moved HW wakes the consumers' long polls.
    replicas.high_watermark_moved = [this](PartitionState& p) {
        if (const PartitionLog* log = broker_->logs.partition(p.topic, p.index))
            broker_->records_appended(*log, FetchWake::high_watermark);
    };
    struct CountingWaiter : FetchWaiter {
        explicit CountingWaiter(bool follower) : follower(follower) {}
        bool follower;
        int wakes = 0;
        bool on_records_appended() override {
            ++wakes;
            return false;
        }
        bool finished() const override { return false; }
        bool reads_to_log_end() const override { return follower; }
    };
    auto consumer = std::make_shared<CountingWaiter>(false);
    auto follower = std::make_shared<CountingWaiter>(true);
    const PartitionLog* log = broker_->logs.partition("orders", 0);
    ASSERT_NE(log, nullptr);
    broker_->add_fetch_waiter(consumer, {log});
    broker_->add_fetch_waiter(follower, {log});
    // And real long polls: follower 2 and a consumer, parked at offset 0.
    auto follower_poll = fetch("orders", 0, 500, 2);
    auto consumer_poll = fetch("orders", 0, 500);
    ASSERT_FALSE(follower_poll->ready());
    ASSERT_FALSE(consumer_poll->ready());

    const std::string batch = test::make_batch_of(1);
    auto produced = produce("orders", batch, -1);
    EXPECT_FALSE(produced->ready());  // acks=all: waits for the HW
    EXPECT_EQ(follower->wakes, 1);
    EXPECT_EQ(consumer->wakes, 0);  // the HW did not move: nothing new for a consumer
    ASSERT_TRUE(follower_poll->ready());
    EXPECT_EQ(fetch_answer(*follower_poll).records_size, batch.size());
    EXPECT_FALSE(consumer_poll->ready());

    // Follower 2 holds offset 0 now; follower 3 has not fetched yet: the HW stays at 0.
    auto again_2 = fetch("orders", 1, 500, 2);
    EXPECT_FALSE(again_2->ready());
    EXPECT_EQ(consumer->wakes, 0);
    // Follower 3 too: the HW moves to 1, the produce is answered, the consumers wake.
    auto again_3 = fetch("orders", 1, 500, 3);
    EXPECT_TRUE(produced->ready());
    EXPECT_EQ(produce_answer(*produced).error, 0);
    EXPECT_EQ(consumer->wakes, 1);
    ASSERT_TRUE(consumer_poll->ready());
    EXPECT_EQ(fetch_answer(*consumer_poll).records_size, batch.size());
    // The parked follower fetches were not woken by the HW: their log end did not move.
    EXPECT_EQ(follower->wakes, 1);
    EXPECT_FALSE(again_2->ready());
    broker_->replicas = nullptr;
}

TEST_F(HandlerTest, LongPollTimesOutEmpty) {
    produce("orders", test::make_batch_of(1));
    auto waiting = fetch("orders", 1, 500);
    run_pending(499);
    EXPECT_FALSE(waiting->ready());
    run_pending(1);
    ASSERT_TRUE(waiting->ready());
    EXPECT_EQ(fetch_answer(*waiting).records_size, 0u);
}

TEST_F(HandlerTest, FindCoordinatorKnowsGroupsAndNoOtherKeyType) {
    for (auto [key_type, expected] : {std::pair{int8_t{0}, ErrorCode::None},
                                      {int8_t{1}, ErrorCode::CoordinatorNotAvailable},
                                      {int8_t{5}, ErrorCode::InvalidRequest}}) {
        auto reply = call(ApiKey::FindCoordinator, 1, [&](KafkaWriter& w) {
            w.string("g");
            w.i8(key_type);
        });
        KafkaReader in(reply->bytes().readable());
        in.i32();  // size
        in.i32();  // correlation id
        in.i32();  // throttle time
        EXPECT_EQ(in.i16(), static_cast<int16_t>(expected)) << int{key_type};
    }
}

TEST_F(HandlerTest, UnsupportedApiVersionsVersionGetsTheListInTheV0Layout) {
    auto reply = call(ApiKey::ApiVersions, 9, [](KafkaWriter&) {});
    KafkaReader in(reply->bytes().readable());
    in.i32();
    in.i32();
    EXPECT_EQ(in.i16(), static_cast<int16_t>(ErrorCode::UnsupportedVersion));
    EXPECT_EQ(in.i32(), static_cast<int32_t>(supported_api_versions().size()));
}

TEST_F(HandlerTest, MetadataV1EmptyListMeansNoTopicsAndNullMeansAll) {
    produce("orders", test::make_batch_of(1));
    auto count_topics = [&](bool null_list) {
        auto reply = call(ApiKey::Metadata, 1, [&](KafkaWriter& w) { w.i32(null_list ? -1 : 0); });
        KafkaReader in = body_of(*reply);
        in.i32();              // brokers
        in.i32();              // node id
        in.string();           // host
        in.i32();              // port
        in.nullable_string();  // rack
        in.i32();              // controller
        return in.i32();
    };
    EXPECT_EQ(count_topics(false), 0);
    EXPECT_EQ(count_topics(true), 1);
}

TEST_F(HandlerTest, CommittedOffsetsPersistAndLeaveWithTheirTopic) {
    produce("orders", test::make_batch_of(5));
    auto commit = call(ApiKey::OffsetCommit, 2, [](KafkaWriter& w) {
        w.string("billing");
        w.i32(-1);  // generation: a client outside group management
        w.string("");
        w.i64(-1);  // retention
        w.array_length(1);
        w.string("orders");
        w.array_length(1);
        w.i32(0);
        w.i64(4);
        w.nullable_string("note");
    });
    EXPECT_FALSE(commit->ready());  // answered once the offsets file is fsynced
    run_pending();
    ASSERT_TRUE(commit->ready());
    auto committed = [&] {
        auto reply = call(ApiKey::OffsetFetch, 1, [](KafkaWriter& w) {
            w.string("billing");
            w.array_length(1);
            w.string("orders");
            w.array_length(1);
            w.i32(0);
        });
        KafkaReader in = body_of(*reply);
        in.i32();
        in.string();
        in.i32();
        in.i32();
        return in.i64();
    };
    EXPECT_EQ(committed(), 4);
    TearDownBrokerOnly();
    EXPECT_EQ(committed(), 4);  // replayed from consumer-offsets.log
    call(ApiKey::DeleteTopics, 1, [](KafkaWriter& w) {
        w.array_length(1);
        w.string("orders");
        w.i32(1000);
    });
    EXPECT_EQ(committed(), -1);
    TearDownBrokerOnly();
    EXPECT_EQ(committed(), -1);  // the tombstone was replayed too
}

TEST_F(HandlerTest, DeleteGroupsTombstonesTheOffsetsAndAnswersAfterTheFsync) {
    produce("orders", test::make_batch_of(5));
    call(ApiKey::OffsetCommit, 2, [](KafkaWriter& w) {
        w.string("billing");
        w.i32(-1);
        w.string("");
        w.i64(-1);
        w.array_length(1);
        w.string("orders");
        w.array_length(1);
        w.i32(0);
        w.i64(4);
        w.nullable_string(std::nullopt);
    });
    run_pending();
    auto delete_groups = [&](std::vector<std::string> ids) {
        return call(ApiKey::DeleteGroups, 1, [&](KafkaWriter& w) {
            w.array_length(ids.size());
            for (const auto& id : ids) w.string(id);
        });
    };
    auto reply = delete_groups({"billing", "nobody"});
    EXPECT_FALSE(reply->ready());  // the tombstone is not on disk yet
    run_pending();
    ASSERT_TRUE(reply->ready());
    KafkaReader in = body_of(*reply);
    EXPECT_EQ(in.i32(), 0);  // throttle
    ASSERT_EQ(in.i32(), 2);
    EXPECT_EQ(in.string(), "billing");
    EXPECT_EQ(in.i16(), 0);
    EXPECT_EQ(in.string(), "nobody");
    EXPECT_EQ(in.i16(), static_cast<int16_t>(ErrorCode::GroupIdNotFound));
    EXPECT_TRUE(in.ok());
    EXPECT_EQ(broker_->groups.offset("billing", "orders", 0), nullptr);
    TearDownBrokerOnly();
    EXPECT_EQ(broker_->groups.offset("billing", "orders", 0), nullptr);  // the tombstone was replayed
    EXPECT_TRUE(delete_groups({"billing"})->ready());                    // nothing to write: answered at once
}

TEST_F(HandlerTest, AlterConfigsReplacesATopicsOverridesWhileItIsInUse) {
    produce("orders", test::make_batch_of(5));
    auto alter = [&](int8_t type, const std::string& name, std::vector<std::pair<std::string, const char*>> configs,
                     bool validate_only = false) {
        auto reply = call(ApiKey::AlterConfigs, 1, [&](KafkaWriter& w) {
            w.array_length(1);
            w.i8(type);
            w.string(name);
            w.array_length(configs.size());
            for (const auto& [key, value] : configs) {
                w.string(key);
                w.nullable_string(value ? std::optional<std::string_view>(value) : std::nullopt);
            }
            w.boolean(validate_only);
        });
        KafkaReader in = body_of(*reply);
        in.i32();
        EXPECT_EQ(in.i32(), 1);
        auto error = static_cast<ErrorCode>(in.i16());
        in.nullable_string();
        EXPECT_EQ(in.i8(), type);
        EXPECT_EQ(in.string(), name);
        EXPECT_TRUE(in.ok());
        return error;
    };
    const LogConfig defaults;
    auto config = [&] { return broker_->logs.find("orders")->config; };
    EXPECT_EQ(alter(2, "orders", {{"retention.ms", "1000"}, {"segment.bytes", "100000"}}), ErrorCode::None);
    EXPECT_EQ(config().retention_ms, 1000);
    EXPECT_EQ(broker_->logs.partition("orders", 0)->config().segment_bytes, 100000);  // the live log too
    // Not incremental: what is left out (or sent as null) goes back to the default.
    EXPECT_EQ(alter(2, "orders", {{"segment.bytes", "200000"}, {"retention.ms", nullptr}}), ErrorCode::None);
    EXPECT_EQ(config().retention_ms, defaults.retention_ms);
    EXPECT_EQ(config().segment_bytes, 200000);
    EXPECT_EQ(alter(2, "orders", {{"segment.bytes", "300000"}}, true), ErrorCode::None);  // validate_only
    EXPECT_EQ(alter(2, "orders", {{"segment.bytes", "3"}}), ErrorCode::InvalidConfig);
    EXPECT_EQ(alter(2, "orders", {{"no.such.config", "1"}}), ErrorCode::InvalidConfig);
    EXPECT_EQ(config().segment_bytes, 200000);  // none of the three changed anything
    EXPECT_EQ(alter(2, "missing", {}), ErrorCode::UnknownTopicOrPartition);
    EXPECT_EQ(alter(4, "0", {{"log.retention.ms", "1"}}), ErrorCode::InvalidRequest);
    EXPECT_EQ(alter(4, "0", {}), ErrorCode::None);
    TearDownBrokerOnly();
    EXPECT_EQ(config().segment_bytes, 200000);  // read back from topic-configs/orders
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/topic-configs/orders"));
    EXPECT_EQ(alter(2, "orders", {}), ErrorCode::None);
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/topic-configs/orders"));
    TearDownBrokerOnly();
    EXPECT_EQ(config().segment_bytes, defaults.segment_bytes);
}

// Fuzz-style: every API's handler gets random and truncated bodies at every version it speaks.
// It must decode or refuse (false = close the connection), never crash or read out of bounds
// (the sanitizer build watches), and the broker must still answer a valid request afterwards.
TEST_F(HandlerTest, RandomBodiesNeverCrashAnyHandler) {
    std::mt19937 random(2024);
    produce("orders", test::make_batch_of(2));
    for (const ApiHandler& api : api_handlers()) {
        for (int16_t version = api.min_version; version <= api.max_version; ++version) {
            for (int round = 0; round < 300; ++round) {
                std::string body(random() % 96, '\0');
                for (char& c : body) c = static_cast<char>(random() % 4 == 0 ? random() : random() % 3);
                mb::ByteBuffer frame;
                KafkaWriter w(frame);
                w.i16(static_cast<int16_t>(api.key));
                w.i16(version);
                w.i32(round);
                w.nullable_string("fuzz");
                if (version >= first_flexible_version(api.key)) w.u8(0);
                w.bytes(body);
                KafkaReader in(frame.readable());
                RequestHeader header = decode_request_header(in);
                auto shared = std::make_shared<Reply>();
                shared->start(header);
                dispatch(*broker_, header, in, *shared);
            }
        }
    }
    run_pending(60'000);
    EXPECT_EQ(produce_answer(*produce("orders", test::make_batch_of(1))).error, 0);
}

// OffsetsForLeaderEpoch v3: per partition, where an epoch ended; fencing by current_leader_epoch.
struct EpochAnswer {
    int16_t error;
    int32_t partition;
    int32_t leader_epoch;
    int64_t end_offset;
};

std::vector<EpochAnswer> epoch_answers(const Reply& reply) {
    KafkaReader in(reply.bytes().readable());
    in.i32();  // size
    in.i32();  // correlation id
    in.i32();  // throttle_time_ms
    std::vector<EpochAnswer> answers;
    for (int32_t t = in.array_length(); t > 0; --t) {
        in.string();
        for (int32_t p = in.array_length(); p > 0; --p) {
            EpochAnswer& a = answers.emplace_back();
            a.error = in.i16();
            a.partition = in.i32();
            a.leader_epoch = in.i32();
            a.end_offset = in.i64();
        }
    }
    EXPECT_TRUE(in.ok());
    return answers;
}

TEST_F(HandlerTest, OffsetsForLeaderEpochAnswersWhereEachEpochEnded) {
    produce("orders", test::make_batch_of(3));  // offsets 0-2 in epoch 0
    broker_->logs.shared_partition("orders", 0)->become_leader(2);
    produce("orders", test::make_batch_of(2));  // offsets 3-4 in epoch 2
    auto ask = [&](int32_t current, int32_t epoch, const std::string& topic = "orders", int32_t partition = 0) {
        auto reply = call(ApiKey::OffsetForLeaderEpoch, 3, [&](KafkaWriter& w) {
            w.i32(-1);  // replica_id: a consumer
            w.array_length(1);
            w.string(topic);
            w.array_length(1);
            w.i32(partition);
            w.i32(current);
            w.i32(epoch);
        });
        auto answers = epoch_answers(*reply);
        EXPECT_EQ(answers.size(), 1u);
        return answers.at(0);
    };
    EpochAnswer a = ask(2, 0);
    EXPECT_EQ(a.error, 0);
    EXPECT_EQ(a.leader_epoch, 0);
    EXPECT_EQ(a.end_offset, 3);  // epoch 0 ended where epoch 2 began
    a = ask(2, 1);               // never led in epoch 1: the epoch before it, and where it ended
    EXPECT_EQ(a.leader_epoch, 0);
    EXPECT_EQ(a.end_offset, 3);
    a = ask(-1, 2);  // the current epoch ends at the log end; -1: no current epoch given
    EXPECT_EQ(a.leader_epoch, 2);
    EXPECT_EQ(a.end_offset, 5);
    a = ask(2, 9);  // newer than anything: UNDEFINED
    EXPECT_EQ(a.leader_epoch, -1);
    EXPECT_EQ(a.end_offset, -1);
    EXPECT_EQ(ask(1, 0).error, static_cast<int16_t>(ErrorCode::FencedLeaderEpoch));  // stale metadata
    EXPECT_EQ(ask(3, 0).error, static_cast<int16_t>(ErrorCode::UnknownLeaderEpoch));
    EXPECT_EQ(ask(2, 0, "nope").error, static_cast<int16_t>(ErrorCode::UnknownTopicOrPartition));
    EXPECT_EQ(ask(2, 0, "orders", 7).error, static_cast<int16_t>(ErrorCode::UnknownTopicOrPartition));
}

// ListOffsets v4+ names the epoch of the offset it returns (KIP-320): a client that resets to it
// validates that position later against OffsetsForLeaderEpoch, so it must be the log's epoch.
TEST_F(HandlerTest, ListOffsetsReturnsTheEpochOfTheOffset) {
    produce("orders", test::make_batch_of(3));  // offsets 0-2 in epoch 0
    broker_->logs.shared_partition("orders", 0)->become_leader(4);
    produce("orders", test::make_batch_of(2));  // offsets 3-4 in epoch 4
    auto ask = [&](int64_t timestamp) {
        auto reply = call(ApiKey::ListOffsets, 4, [&](KafkaWriter& w) {
            w.i32(-1);  // replica_id: a consumer
            w.i8(0);    // isolation_level
            w.array_length(1);
            w.string("orders");
            w.array_length(1);
            w.i32(0);   // partition
            w.i32(-1);  // current_leader_epoch: not checked
            w.i64(timestamp);
        });
        KafkaReader in = body_of(*reply);
        in.i32();  // throttle_time_ms
        EXPECT_EQ(in.array_length(), 1);
        in.string();
        EXPECT_EQ(in.array_length(), 1);
        EXPECT_EQ(in.i32(), 0);  // partition
        EXPECT_EQ(in.i16(), 0);  // error
        in.i64();                // timestamp
        std::pair<int64_t, int32_t> answer;
        answer.first = in.i64();
        answer.second = in.i32();
        EXPECT_TRUE(in.ok());
        return answer;
    };
    EXPECT_EQ(ask(-1), (std::pair<int64_t, int32_t>{5, 4}));  // latest: the log end, the current epoch
    EXPECT_EQ(ask(-2), (std::pair<int64_t, int32_t>{0, 0}));  // earliest: offset 0, written in epoch 0
}

// Clients send Metadata's leader epoch back as current_leader_epoch: it must be the log's.
TEST_F(HandlerTest, MetadataReportsThePartitionsLeaderEpoch) {
    produce("orders", test::make_batch_of(1));
    broker_->logs.shared_partition("orders", 0)->become_leader(6);
    auto reply = call(ApiKey::Metadata, 7, [](KafkaWriter& w) {
        w.array_length(1);
        w.string("orders");
        w.boolean(false);  // allow_auto_topic_creation
    });
    KafkaReader in = body_of(*reply);
    in.i32();  // throttle_time_ms
    for (int32_t b = in.array_length(); b > 0; --b) {
        in.i32();
        in.string();
        in.i32();
        in.nullable_string();  // rack
    }
    in.nullable_string();  // cluster_id
    in.i32();              // controller_id
    ASSERT_EQ(in.array_length(), 1);
    EXPECT_EQ(in.i16(), 0);
    EXPECT_EQ(in.string(), "orders");
    in.boolean();
    ASSERT_EQ(in.array_length(), 1);
    EXPECT_EQ(in.i16(), 0);  // error
    EXPECT_EQ(in.i32(), 0);  // partition
    in.i32();                // leader
    EXPECT_EQ(in.i32(), 6);  // leader_epoch
    EXPECT_TRUE(in.ok());
}

// Fetch v12 (flexible): a fetcher names the epoch of its last record; where the leader's history
// disagrees, the answer has no records but the diverging epoch (docs/minikafka/05).
struct DivergingAnswer {
    int16_t error = -1;
    int32_t records_size = -1;
    int32_t epoch = -1;
    int64_t end_offset = -1;
};

DivergingAnswer fetch_v12_answer(const Reply& reply) {
    KafkaReader in(reply.bytes().readable());
    in.i32();                 // size
    in.i32();                 // correlation id
    in.skip_tagged_fields();  // response header v1
    in.i32();                 // throttle
    in.i16();                 // error
    in.i32();                 // session
    DivergingAnswer a;
    EXPECT_EQ(in.compact_array_length(), 1);
    in.compact_string();
    EXPECT_EQ(in.compact_array_length(), 1);
    in.i32();  // index
    a.error = in.i16();
    in.i64();                   // hw
    in.i64();                   // lso
    in.i64();                   // log start
    in.compact_array_length();  // aborted: null
    in.i32();                   // preferred replica
    a.records_size = static_cast<int32_t>(in.uvarint()) - 1;
    // The records are file slices, sent after the bytes written before them: the tags follow.
    uint32_t tags = in.uvarint();
    for (uint32_t t = 0; t < tags; ++t) {
        uint32_t tag = in.uvarint();
        KafkaReader field(in.bytes(in.uvarint()));
        if (tag == 0) {
            a.epoch = field.i32();
            a.end_offset = field.i64();
        }
    }
    EXPECT_TRUE(in.ok());
    return a;
}

TEST_F(HandlerTest, FetchV12AnswersADivergedFetcherWithTheDivergingEpoch) {
    produce("orders", test::make_batch_of(3));  // offsets 0-2 in epoch 0
    broker_->logs.shared_partition("orders", 0)->become_leader(2);
    produce("orders", test::make_batch_of(2));  // offsets 3-4 in epoch 2
    auto fetch12 = [&](int64_t offset, int32_t last_fetched_epoch) {
        auto reply = call(ApiKey::Fetch, 12, [&](KafkaWriter& w) {
            w.empty_tagged_fields();  // request header v2
            w.i32(-1);
            w.i32(0);  // max_wait_ms: answer now
            w.i32(1);
            w.i32(1 << 20);
            w.i8(0);
            w.i32(0);
            w.i32(-1);
            w.compact_array_length(1);
            w.compact_string("orders");
            w.compact_array_length(1);
            w.i32(0);
            w.i32(-1);  // current_leader_epoch: not checked
            w.i64(offset);
            w.i32(last_fetched_epoch);
            w.i64(-1);
            w.i32(1 << 20);
            w.empty_tagged_fields();
            w.empty_tagged_fields();
            w.compact_array_length(0);
            w.compact_string("");
            w.empty_tagged_fields();
        });
        return fetch_v12_answer(*reply);
    };
    // In step: the fetcher's last record (offset 3) is of epoch 2, which runs to the log end here.
    DivergingAnswer a = fetch12(4, 2);
    EXPECT_EQ(a.error, 0);
    EXPECT_GT(a.records_size, 0);
    EXPECT_EQ(a.epoch, -1);
    // It wrote offsets 3-5 as leader of epoch 1, which this log never had - and asks from past our
    // log end: not OFFSET_OUT_OF_RANGE but "epoch 0 ends at 3 here", and no records.
    a = fetch12(6, 1);
    EXPECT_EQ(a.error, 0);
    EXPECT_EQ(a.records_size, 0);
    EXPECT_EQ(a.epoch, 0);
    EXPECT_EQ(a.end_offset, 3);
    // More of epoch 0 than we have (0-3): the same cut.
    a = fetch12(4, 0);
    EXPECT_EQ(a.epoch, 0);
    EXPECT_EQ(a.end_offset, 3);
    // After cutting to 3 it agrees, and gets epoch 2's records.
    a = fetch12(3, 0);
    EXPECT_EQ(a.epoch, -1);
    EXPECT_GT(a.records_size, 0);
    // Without a last fetched epoch (an empty fetcher log) nothing is compared.
    EXPECT_EQ(fetch12(0, -1).epoch, -1);
}

// IncrementalAlterConfigs (API 44): each config names its operation; the others stay as they are.
TEST_F(HandlerTest, IncrementalAlterConfigsChangesOnlyTheNamedConfigs) {
    produce("orders", test::make_batch_of(1));
    struct Op {
        std::string name;
        int8_t op;
        const char* value;
    };
    auto alter = [&](int16_t version, int8_t type, const std::string& name, const std::vector<Op>& ops) {
        const bool flexible = version >= 1;
        auto reply = call(ApiKey::IncrementalAlterConfigs, version, [&](KafkaWriter& w) {
            if (flexible) w.empty_tagged_fields();  // request header v2
            flexible ? w.compact_array_length(1) : w.array_length(1);
            w.i8(type);
            flexible ? w.compact_string(name) : w.string(name);
            flexible ? w.compact_array_length(ops.size()) : w.array_length(ops.size());
            for (const Op& o : ops) {
                flexible ? w.compact_string(o.name) : w.string(o.name);
                w.i8(o.op);
                auto value = o.value ? std::optional<std::string_view>(o.value) : std::nullopt;
                flexible ? w.compact_nullable_string(value) : w.nullable_string(value);
                if (flexible) w.empty_tagged_fields();
            }
            if (flexible) w.empty_tagged_fields();
            w.boolean(false);
            if (flexible) w.empty_tagged_fields();
        });
        KafkaReader in(reply->bytes().readable());
        in.i32();
        in.i32();
        if (flexible) in.skip_tagged_fields();
        in.i32();
        EXPECT_EQ(flexible ? in.compact_array_length() : in.array_length(), 1);
        auto error = static_cast<ErrorCode>(in.i16());
        flexible ? in.compact_nullable_string() : in.nullable_string();
        EXPECT_EQ(in.i8(), type);
        EXPECT_EQ(flexible ? in.compact_string() : in.string(), name);
        EXPECT_TRUE(in.ok());
        return error;
    };
    const LogConfig defaults;
    auto overrides = [&] {
        std::map<std::string, std::string> out;
        for (const ConfigEntry& c : broker_->logs.find("orders")->overrides) out[c.name] = c.value;
        return out;
    };
    using Map = std::map<std::string, std::string>;
    EXPECT_EQ(alter(0, 2, "orders", {{"retention.ms", 0, "1000"}, {"segment.bytes", 0, "100000"}}), ErrorCode::None);
    EXPECT_EQ(overrides(), (Map{{"retention.ms", "1000"}, {"segment.bytes", "100000"}}));
    EXPECT_EQ(broker_->logs.partition("orders", 0)->config().segment_bytes, 100000);  // the live log too
    // SET one: the other stays (AlterConfigs would have reset it).
    EXPECT_EQ(alter(1, 2, "orders", {{"retention.ms", 0, "2000"}}), ErrorCode::None);
    EXPECT_EQ(overrides(), (Map{{"retention.ms", "2000"}, {"segment.bytes", "100000"}}));
    // DELETE: back to the default; a config that is not overridden: nothing to do.
    EXPECT_EQ(alter(1, 2, "orders", {{"segment.bytes", 1, nullptr}, {"flush.ms", 1, nullptr}}), ErrorCode::None);
    EXPECT_EQ(overrides(), (Map{{"retention.ms", "2000"}}));
    EXPECT_EQ(broker_->logs.partition("orders", 0)->config().segment_bytes, defaults.segment_bytes);
    // APPEND to a list config starts from its current value (the default, "delete"): no duplicate.
    EXPECT_EQ(alter(0, 2, "orders", {{"cleanup.policy", 2, "delete"}}), ErrorCode::None);
    EXPECT_EQ(overrides(), (Map{{"cleanup.policy", "delete"}, {"retention.ms", "2000"}}));
    // SUBTRACT it: an empty cleanup.policy is not one minikafka takes - the value check refuses it.
    EXPECT_EQ(alter(1, 2, "orders", {{"cleanup.policy", 3, "delete"}}), ErrorCode::InvalidConfig);
    // APPEND / SUBTRACT on a config that is not a list; a bad value; an unknown operation; a name
    // twice; a null SET: refused, and nothing of the resource is applied.
    EXPECT_EQ(alter(1, 2, "orders", {{"retention.ms", 2, "5"}}), ErrorCode::InvalidConfig);
    EXPECT_EQ(alter(1, 2, "orders", {{"retention.ms", 0, "9"}, {"segment.bytes", 0, "3"}}), ErrorCode::InvalidConfig);
    EXPECT_EQ(alter(1, 2, "orders", {{"retention.ms", 7, "9"}}), ErrorCode::InvalidRequest);
    EXPECT_EQ(alter(1, 2, "orders", {{"retention.ms", 0, "9"}, {"retention.ms", 1, nullptr}}),
              ErrorCode::InvalidRequest);
    EXPECT_EQ(alter(1, 2, "orders", {{"retention.ms", 0, nullptr}}), ErrorCode::InvalidRequest);
    EXPECT_EQ(overrides(), (Map{{"cleanup.policy", "delete"}, {"retention.ms", "2000"}}));
    EXPECT_EQ(alter(0, 2, "missing", {{"retention.ms", 0, "1"}}), ErrorCode::UnknownTopicOrPartition);
    // Broker configs are command-line options here, as for AlterConfigs.
    EXPECT_EQ(alter(1, 4, "0", {{"log.retention.ms", 0, "1"}}), ErrorCode::InvalidRequest);
    EXPECT_EQ(alter(0, 4, "0", {}), ErrorCode::None);
    // Kept across a restart (topic-configs/orders), like AlterConfigs' overrides.
    TearDownBrokerOnly();
    EXPECT_EQ(overrides(), (Map{{"cleanup.policy", "delete"}, {"retention.ms", "2000"}}));
}

TEST_F(HandlerTest, OffsetsForLeaderEpochIsAdvertised) {
    bool found = false;
    for (const ApiVersionRange& api : supported_api_versions())
        if (api.key == ApiKey::OffsetForLeaderEpoch) found = api.min_version == 0 && api.max_version == 4;
    EXPECT_TRUE(found);
}

}  // namespace
}  // namespace minikafka
