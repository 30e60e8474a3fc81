// minikafka/core/broker.hpp
//
// CONCEPT: the broker - what every request handler acts on. It holds the topics and their
// logs, (later) the consumer groups and their committed offsets, and the few services the
// handlers need from the outside world: the time, a way to run something later, and the
// background worker for fsync/deletion. The wiring (run_server.cpp) binds those services to Asio;
// unit tests bind them to a fake clock, so no handler ever touches a socket or a timer.
// Everything here is used from the one broker thread only.
//
// Two broker-wide mechanisms live here because several APIs share them:
//   group commit   after appends, flush_if_due() starts at most one fsync per partition at a
//                  time; appends made while it runs are covered by the next one, so one fsync
//                  acknowledges many produce requests (log.flush.interval.messages=1 still
//                  costs one fsync per *batch of requests*, not per request)
//   long polls     a Fetch without enough data registers a FetchWaiter under each partition
//                  it reads; an append to a partition lets that partition's waiters check
//                  whether they can answer now (Kafka's delayed-fetch purgatory, keyed the same
//                  way, so a thousand idle consumers cost nothing when one partition gets data)
// READ NEXT: broker.cpp (the mechanisms), reply.hpp (how a handler answers later),
//            handlers/handler_table.hpp (who acts on the broker).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "handler_scratch.hpp"
#include "model/group_coordinator.hpp"
#include "storage/background_worker.hpp"
#include "storage/log_cleaner.hpp"
#include "storage/log_manager.hpp"
#include "storage/offset_store.hpp"

namespace minikafka {

class Reply;
class Controller;      // core/controller.hpp: the KRaft quorum member, when controller.quorum.voters is set
class ReplicaManager;  // core/replica_manager.hpp: this broker's replicas, in cluster mode
class OffsetsTopic;    // core/offsets_topic.hpp: groups coordinated through __consumer_offsets

struct BrokerConfig {
    int32_t node_id = 0;  // broker.id
    std::string advertised_host = "127.0.0.1";
    int32_t port = 9092;                           // the port clients reach us on (after --port 0)
    std::string cluster_id;                        // from meta.properties
    bool auto_create_topics = true;                // auto.create.topics.enable
    int32_t num_partitions = 1;                    // num.partitions: for auto-created topics
    uint32_t max_request_bytes = 104857600;        // socket.request.max.bytes
    int64_t retention_check_interval_ms = 300000;  // log.retention.check.interval.ms
    // How often an idle log cleaner looks for a compacted partition dirty enough to clean.
    int64_t cleaner_backoff_ms = 15000;  // log.cleaner.backoff.ms
    // Idempotent producers are forgotten after this long without an append (model/producer_state.hpp).
    int64_t producer_id_expiration_ms = 86400000;               // producer.id.expiration.ms
    int64_t producer_id_expiration_check_interval_ms = 600000;  // producer.id.expiration.check.interval.ms
};

// The outside world, as the handlers see it.
struct BrokerServices {
    std::function<int64_t()> now_ms;  // wall-clock milliseconds (record timestamps, retention)
    // Runs `callback` on the broker thread after `delay_ms` (0: as soon as the work already
    // queued - other connections' requests - is done).
    std::function<void(int64_t delay_ms, std::function<void()> callback)> run_later;
    BackgroundWorker* background = nullptr;
};

// A request waiting for records (a long-polling Fetch).
class FetchWaiter {
public:
    virtual ~FetchWaiter() = default;
    // Called after records were appended to a partition it waits on; true when it answered.
    virtual bool on_records_appended() = 0;
    virtual bool finished() const = 0;  // answered (perhaps by its timeout)
    // A follower's fetch reads up to the log end, a consumer's up to the high watermark (the same
    // thing on a single node): each is woken only by what can give it more (FetchWake).
    virtual bool reads_to_log_end() const { return false; }
};

// What happened to a partition, for the long polls parked on it (Broker::records_appended).
enum class FetchWake {
    any,             // everyone re-reads: an append on a single node, a leadership change
    log_end_moved,   // cluster mode, an append: only followers' fetches can read more
    high_watermark,  // cluster mode, the HW moved: only consumers' fetches can read more
};

class Broker {
public:
    Broker(BrokerConfig config, LogConfig log_defaults, GroupConfig group_config, std::string data_dir,
           BrokerServices services);

    // Opens the topics (recovering their logs) and replays the committed offsets.
    // `clustered`: a partition directory missing here is a partition this broker does not
    // replicate, not one to create (LogManager::load).
    void load(bool clustered = false);

    int64_t now_ms() const { return services.now_ms(); }

    // Durability: after appending to `log`, start an fsync if the flush policy asks for one
    // (or leave it to the fsync in flight, which restarts when it finishes).
    void flush_if_due(const std::shared_ptr<PartitionLog>& log);
    // After a roll: the old segment's files go to disk in the background now, as Kafka flushes a
    // rolled segment at once, and then close (its indexes are not needed open any more).
    void sync_rolled_segments(PartitionLog& log);
    // Periodic work: flush.ms, retention, segment deletion. The wiring calls it every tick_ms.
    static constexpr int64_t kTickMs = 100;
    void tick();
    // At shutdown: everything appended goes to disk, on this thread.
    void flush_everything_now();

    // A producer id for InitProducerId: never handed out twice, also across restarts (they are
    // taken from the start time in milliseconds times 1000, then counted up).
    int64_t next_producer_id() { return next_producer_id_++; }

    // Rewrites the committed-offsets file when it is mostly superseded commits.
    void compact_offsets_if_worthwhile();
    // After offset records (commits, tombstones) were appended: `reply` leaves once the fsync
    // covering them is done, so what a client was told is stored survives a crash.
    void answer_when_offsets_are_on_disk(Reply& reply);

    // `waiter` is woken by appends to any of `partitions` (duplicates are fine) or not at all.
    void add_fetch_waiter(const std::shared_ptr<FetchWaiter>& waiter, std::vector<const PartitionLog*> partitions);
    void records_appended(const PartitionLog& log, FetchWake what = FetchWake::any);

    // --trace: one human-readable line per request, following it through the concepts, e.g.
    //   produce topic=payments partition=2 -> segment 00000000000000004096.log @ 1048576 -> offset 5123
    // Off by default and then free: the line is only formatted when `tracing` is true.
    bool tracing = false;
    std::function<void(std::string_view)> trace_sink;
    template <typename... Args>
    void trace(fmt::format_string<Args...> format, Args&&... args) {
        if (tracing && trace_sink) trace_sink(fmt::format(format, std::forward<Args>(args)...));
    }

    BrokerConfig config;
    // The KRaft controller of this node (owned by the wiring); null in single-node mode, where
    // the broker is its own controller and no quorum runs.
    Controller* controller = nullptr;
    // Cluster mode: the partitions this broker holds replicas of, their leaders, ISR and HW.
    ReplicaManager* replicas = nullptr;
    // Cluster mode: committed offsets go to the replicated __consumer_offsets topic and this
    // broker coordinates only the groups whose partition it leads. Null in single-node mode,
    // where every group is ours and offsets go to `offset_store`.
    OffsetsTopic* offsets_topic = nullptr;
    // Cluster mode, set by the wiring: send an admin request (body at the forwarded version,
    // protocol/admin.hpp) to the active controller; `done` gets its per-topic results, or nullopt
    // when no active controller could be reached.
    using TopicResults = std::vector<TopicResult>;
    std::function<void(ApiKey key, std::string body, std::function<void(std::optional<TopicResults>)> done)>
        ask_controller;
    // Cluster mode, set by the wiring: send a request body, as it is, at `version`, to the
    // active controller; `done` gets the answer's body, or nullopt when none could be reached.
    std::function<void(ApiKey key, int16_t version, std::string body,
                       std::function<void(std::optional<std::string>)> done)>
        forward_to_controller;
    int16_t default_replication_factor = 1;  // default.replication.factor
    LogManager logs;
    GroupCoordinator groups;
    OffsetStore offset_store;
    BrokerServices services;
    // The handlers' reused request/result lists (core/handler_scratch.hpp): no allocation per request.
    HandlerScratch scratch;
    // Log compaction (storage/log_cleaner.hpp), run a slice per tick by run_cleaner().
    LogCleaner cleaner;

private:
    void start_flush(const std::shared_ptr<PartitionLog>& log);
    void sweep_finished_fetch_waiters();  // long polls that timed out, on partitions now quiet
    void run_cleaner(int64_t now);        // picks the dirtiest compacted partition, cleans a slice

    // Keyed by the log's address: a deleted topic's entry only holds finished waiters, which
    // tick() sweeps; a new log at the same address at worst wakes a waiter for nothing.
    std::unordered_map<const PartitionLog*, std::vector<std::shared_ptr<FetchWaiter>>> fetch_waiters_;
    int64_t last_retention_check_ms_ = 0;
    int64_t last_cleaner_check_ms_ = 0;
    int64_t last_producer_expiration_ms_ = 0;
    int64_t next_producer_id_ = 0;
};

}  // namespace minikafka
