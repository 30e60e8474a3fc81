// minikafka/core/replica_manager.hpp
//
// CONCEPT: a broker's replicas in a cluster. The controller decides (metadata image); each broker
// follows the decisions for the partitions it holds a replica of:
//
//   metadata image (applied records)          this broker (node 2)
//   orders-0 replicas [1 2 3] leader 1 ──────▶ follower of 1: the fetcher pulls from node 1
//   orders-1 replicas [2 3 1] leader 2 ──────▶ leader: answers produce/fetch, tracks followers,
//                                               moves the HW, completes acks=all produces
//   orders-2 replicas [3 1 2] leader 3 epoch 1 ▶ (leader epoch changed: a new leader - switch)
//
// apply_image() is called after the image changed; it creates the local logs of the partitions
// this broker is a replica of (and of no others), deletes the logs of deleted topics and of
// replicas reassigned away (core/reassignment.hpp), and sets each partition's role. The handlers
// ask it "do I lead this partition?" (NOT_LEADER_OR_FOLLOWER otherwise) and report appends and
// follower fetches; the follower fetcher (replica_fetcher.hpp) asks it what to fetch from whom.
// In single-node mode there is no ReplicaManager at all: the broker leads everything, HW = LEO.
// REAL KAFKA: kafka.server.ReplicaManager (becomeLeaderOrFollower, applyDelta in KRaft).
// READ NEXT: partition_state.hpp, replica_fetcher.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metadata_image.hpp"
#include "partition_state.hpp"
#include "protocol/alter_partition.hpp"
#include "storage/log_manager.hpp"

namespace minikafka {

struct ReplicaConfig {
    int32_t node_id = -1;
    int32_t min_insync_replicas = 1;          // min.insync.replicas (broker default)
    int64_t replica_lag_time_max_ms = 30000;  // replica.lag.time.max.ms
};

class ReplicaManager {
public:
    ReplicaManager(ReplicaConfig config, LogManager& logs) : config_(config), logs_(logs) {}

    // Brings local logs and roles in line with `image`. Idempotent; cheap when nothing changed.
    // Creating logs is the slow part (a directory and a file each: tens of microseconds, and
    // milliseconds on a busy file system), so one call makes at most kPartitionsPerTurn new logs,
    // or kTurnBudgetMs of them by `clock_ms` (core/topic_creation.hpp): false when some are left -
    // call again on a later turn of the event loop. A partition whose log is not made yet has no
    // state here until then (clients are told NOT_LEADER_OR_FOLLOWER, as for any partition this
    // broker does not host).
    bool apply_image(const MetadataImage& image, int64_t now_ms);

    // Once, when this broker's metadata has caught up (it is unfenced): logs found at the start
    // for partitions it does not replicate any more - reassigned away or deleted while it was down.
    void remove_strays(const MetadataImage& image);

    // nullptr: this broker holds no replica of that partition (or it does not exist).
    PartitionState* find(std::string_view topic, int32_t partition);
    bool leads(const PartitionState& p) const { return p.leader == config_.node_id; }
    // acks=all needs an ISR at least this big: the topic's setting, else the broker's.
    int32_t min_insync_replicas(const PartitionState& p) const {
        return p.min_insync_replicas > 0 ? p.min_insync_replicas : config_.min_insync_replicas;
    }
    const ReplicaConfig& config() const { return config_; }
    const std::map<std::pair<std::string, int32_t>, PartitionState, std::less<>>& partitions() const {
        return partitions_;
    }

    // Leader: our log grew to `leo` (an append). With an ISR of one, the HW moves at once.
    void leader_appended(PartitionState& p, int64_t leo);
    // Leader: follower `replica` fetched from `fetch_offset`; the HW may move.
    void follower_fetched(PartitionState& p, int32_t replica, int64_t fetch_offset, int64_t now_ms);
    // Follower: the leader's HW arrived in a Fetch answer.
    void follower_learned_hw(PartitionState& p, int64_t leader_hw);

    // Follower: the leader says where its largest epoch <= our latest one (`asked`) ends there
    // (`answer`: a Fetch's diverging epoch, or an OffsetsForLeaderEpoch answer); cut our log where
    // they diverge (PartitionLog::divergence_from). True when settled, false when another round
    // (with our next older epoch) is needed.
    bool truncate_to_leader(PartitionState& p, PartitionLog& log, int32_t asked, EpochEnd answer);
    // Follower whose log has no epochs to ask about: cut to the high watermark (the old rule).
    void truncate_to_high_watermark(PartitionState& p, PartitionLog& log);

    // Leader, on a timer: the AlterPartition items for the partitions whose ISR should change
    // (PartitionState::wanted_isr), each sent once per partition epoch (again after 2 s).
    std::vector<AlterPartitionItem> isr_changes(int64_t now_ms);

    // What this broker follows, grouped by leader: the fetcher's work list.
    std::map<int32_t, std::vector<PartitionState*>> followed_by_leader();

    // Set by the wiring: a deleted topic's directories, for the background worker to remove; an
    // HW that moved (consumers waiting in a long poll can now read more); --trace lines.
    std::function<void(std::vector<std::string> removed_dirs)> remove_dirs;
    std::function<void(PartitionState&)> high_watermark_moved;
    // A partition this broker led is led elsewhere now: its parked fetches must wake and answer.
    std::function<void(PartitionState&)> leadership_moved;
    std::function<void(std::string_view)> trace;
    // The clock that bounds a turn's log creation (the broker's); unset: only the count does.
    std::function<int64_t()> clock_ms;

private:
    void stop_leading(PartitionState& p);
    void cut(PartitionState& p, PartitionLog& log, int64_t offset, std::string_view why);
    void hw_moved(PartitionState& p, int64_t from);

    ReplicaConfig config_;
    LogManager& logs_;
    std::map<std::pair<std::string, int32_t>, PartitionState, std::less<>> partitions_;
    std::map<std::string, Uuid, std::less<>> known_topics_;  // name -> id, as last applied
    int64_t applied_records_ = -1;
};

}  // namespace minikafka
