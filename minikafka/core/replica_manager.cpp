// minikafka/core/replica_manager.cpp - following the controller's decisions (see the header).
#include "replica_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "log.hpp"

namespace minikafka {

namespace {
std::string ids_text(const std::vector<int32_t>& ids) { return fmt::format("[{}]", fmt::join(ids, ",")); }
}  // namespace

// Three passes: topics that disappeared (or were re-created under the same name: a new topic id)
// lose their logs; topics of the image get logs for all their partitions; then each partition's
// state follows its PartitionRecord. Only a topic this broker saw in the image and then saw go
// is deleted: at a restart the image is rebuilt record by record, and a topic not replayed yet
// must not lose its data.
void ReplicaManager::apply_image(const MetadataImage& image, int64_t now_ms) {
    if (image.applied_records() == applied_records_) return;
    applied_records_ = image.applied_records();

    std::map<std::string, Uuid, std::less<>> now_known;
    for (const auto& [id, topic] : image.topics())
        if (!topic.name.empty()) now_known[topic.name] = id;
    for (auto it = known_topics_.begin(); it != known_topics_.end();) {
        auto still = now_known.find(it->first);
        if (still != now_known.end() && still->second == it->second) {
            ++it;
            continue;
        }
        std::vector<std::string> removed;
        if (logs_.delete_topic(it->first, removed).error == ErrorCode::None && remove_dirs) remove_dirs(removed);
        for (auto p = partitions_.begin(); p != partitions_.end();) {
            if (p->first.first != it->first) {
                ++p;
                continue;
            }
            p->second.waiting_produces.fail_all();
            p = partitions_.erase(p);
        }
        if (trace) trace(fmt::format("replica: topic {} deleted: its logs go", it->first));
        it = known_topics_.erase(it);
    }

    for (const auto& [id, topic] : image.topics()) {
        if (topic.name.empty() || topic.partitions.empty()) continue;
        known_topics_[topic.name] = id;
        // The local logs: partitions 0..N-1 (LogManager keeps a topic's partitions contiguous; a
        // partition this broker holds no replica of gets an empty log it never uses).
        const auto count = static_cast<int32_t>(topic.partitions.rbegin()->first + 1);
        // The topic's configs: the log's ones go to the LogManager as overrides (it writes them
        // next to the logs, as in single-node mode); min.insync.replicas stays with the replicas.
        std::vector<ConfigEntry> overrides;
        int32_t min_insync = -1;
        for (const auto& [name, value] : topic.configs) {
            if (name == "min.insync.replicas") {
                min_insync = std::atoi(value.c_str());
            } else {
                overrides.push_back({name, value});
            }
        }
        const Topic* local = logs_.find(topic.name);
        LogManager::Result made;
        if (!local) {
            made = logs_.create_topic(topic.name, count, overrides, false, now_ms);
        } else if (static_cast<int32_t>(local->partitions.size()) < count) {
            made = logs_.create_partitions(topic.name, count, false, now_ms);
        }
        if (made.error != ErrorCode::None)
            mb::log::error("replica: cannot create the logs of {}: {}", topic.name, made.message);
        if (const Topic* t = logs_.find(topic.name); t && t->overrides != overrides) {
            LogManager::Result set = logs_.set_topic_config(topic.name, overrides, false);
            if (set.error != ErrorCode::None)
                mb::log::error("replica: topic {}: config not applied: {}", topic.name, set.message);
        }

        for (const auto& [index, record] : topic.partitions) {
            const bool ours =
                std::find(record.replicas.begin(), record.replicas.end(), config_.node_id) != record.replicas.end();
            auto key = std::make_pair(topic.name, index);
            if (!ours) {
                partitions_.erase(key);
                continue;
            }
            auto [it, fresh] = partitions_.try_emplace(key);
            PartitionState& p = it->second;
            const bool leader_changed = fresh || p.leader != record.leader || p.leader_epoch != record.leader_epoch;
            const bool was_leader = !fresh && leads(p);
            const std::vector<int32_t> old_isr = p.isr;
            p.topic = topic.name;
            p.index = index;
            p.topic_id = id;
            p.replicas = record.replicas;
            p.isr = record.isr;
            p.leader = record.leader;
            p.leader_epoch = record.leader_epoch;
            p.partition_epoch = record.partition_epoch;
            p.min_insync_replicas = min_insync;
            PartitionLog* log = logs_.partition(topic.name, index);
            const int64_t leo = log ? log->log_end_offset() : 0;
            if (leader_changed) {
                p.followers.clear();
                if (leads(p)) {
                    // A new leader knows nothing of its followers yet: each one's LEO arrives with
                    // its first fetch, and the HW waits for that (PartitionState).
                    for (int32_t r : p.replicas)
                        if (r != config_.node_id) p.followers[r].last_caught_up_ms = now_ms;
                } else if (was_leader) {
                    p.waiting_produces.fail_all();  // their answer: NOT_LEADER_OR_FOLLOWER
                }
                if (log) {
                    if (leads(p)) {
                        // Appends are stamped with the new epoch from here on, and the epoch
                        // starts at our log end (the leader-epoch checkpoint records it).
                        log->become_leader(p.leader_epoch);
                    } else {
                        log->become_follower(p.leader_epoch);
                        // No leader (-1: every ISR member is down): nobody to agree with, and
                        // this log may be the one that leads next - the last ISR member's, with
                        // every acknowledged record. Cutting it here lost them all.
                        if (p.leader >= 0) truncate_new_follower(p, *log, fresh);
                    }
                }
                if (trace)
                    trace(fmt::format("replica: {}-{} leader {} epoch {}: this node (node {}) is {} (LEO {}, HW {})",
                                      topic.name, index, p.leader, p.leader_epoch, config_.node_id,
                                      leads(p) ? "the leader" : "a follower", log ? log->log_end_offset() : leo,
                                      p.high_watermark));
            } else if (old_isr != p.isr && trace) {
                trace(fmt::format("replica: {}-{} ISR {} -> {} (min.insync.replicas {})", topic.name, index,
                                  ids_text(old_isr), ids_text(p.isr), min_insync_replicas(p)));
            }
            if (leads(p)) {
                // The ISR may have shrunk (a fenced follower): the HW can move now.
                const int64_t before = p.high_watermark;
                if (p.advance_high_watermark(config_.node_id, leo)) hw_moved(p, before);
            }
        }
    }
}

// A broker that becomes a follower may hold a tail the new leader never had: records the old
// leader (maybe this broker) appended but no ISR majority confirmed. Left in place, the two logs
// would differ at the same offsets - or the follower's fetch offset would lie past the leader's
// log end forever. So the follower cuts its log back to what is known to be committed, and
// fetches the rest from the new leader:
//   - a follower that was already running knows its high watermark: everything below it is on
//     every ISR member, hence on the new leader (which comes from the ISR) - cut there;
//   - a broker that has just started knows no high watermark (Kafka keeps one in a checkpoint
//     file); it cuts back to where its latest leader epoch began, refetching that epoch whole.
// This is the rule Kafka used before KIP-101. It is safe for divergence but can cut a committed
// record whose high watermark had not reached this follower yet; the epoch-based rule (ask the
// leader where our last epoch ends: OffsetsForLeaderEpoch, PartitionLog::end_offset_for_epoch)
// cuts only what differs, and is the next step (docs/minikafka/05, "Leader epochs").
void ReplicaManager::truncate_new_follower(const PartitionState& p, PartitionLog& log, bool fresh) {
    int64_t keep = p.high_watermark;
    if (fresh) {
        const auto& epochs = log.leader_epochs().entries();
        keep = epochs.empty() ? log.log_start_offset() : epochs.back().start_offset;
    }
    const int64_t before = log.log_end_offset();
    if (keep >= before) return;
    log.truncate_to(keep);
    if (trace)
        trace(fmt::format(
            "replica: {}-{} becomes a follower: log cut from {} back to {} ({}), refetched from leader {}", p.topic,
            p.index, before, log.log_end_offset(), fresh ? "start of its last epoch" : "its HW", p.leader));
}

PartitionState* ReplicaManager::find(std::string_view topic, int32_t partition) {
    auto it = partitions_.find(std::make_pair(std::string(topic), partition));
    return it == partitions_.end() ? nullptr : &it->second;
}

void ReplicaManager::leader_appended(PartitionState& p, int64_t leo) {
    const int64_t before = p.high_watermark;
    if (p.advance_high_watermark(config_.node_id, leo)) hw_moved(p, before);
}

void ReplicaManager::follower_fetched(PartitionState& p, int32_t replica, int64_t fetch_offset, int64_t now_ms) {
    PartitionLog* log = logs_.partition(p.topic, p.index);
    if (!log) return;
    const int64_t leo = log->log_end_offset();
    auto previous = p.followers.find(replica);
    const int64_t old_leo = previous == p.followers.end() ? -1 : previous->second.log_end_offset;
    p.record_follower_fetch(replica, fetch_offset, leo, now_ms);
    if (trace && old_leo != p.followers[replica].log_end_offset && (old_leo < 0 || fetch_offset >= leo))
        trace(fmt::format("replica: {}-{} follower {} fetches from {} (leader LEO {})", p.topic, p.index, replica,
                          fetch_offset, leo));
    const int64_t before = p.high_watermark;
    if (p.advance_high_watermark(config_.node_id, leo)) hw_moved(p, before);
}

void ReplicaManager::follower_learned_hw(PartitionState& p, int64_t leader_hw) {
    PartitionLog* log = logs_.partition(p.topic, p.index);
    if (!log) return;
    const int64_t before = p.high_watermark;
    if (p.follow_high_watermark(leader_hw, log->log_end_offset())) hw_moved(p, before);
}

void ReplicaManager::hw_moved(PartitionState& p, int64_t from) {
    if (trace)
        trace(fmt::format("replica: {}-{} high watermark {} -> {} ({})", p.topic, p.index, from, p.high_watermark,
                          leads(p) ? fmt::format("min LEO over ISR {}", ids_text(p.isr)) : "from the leader"));
    p.waiting_produces.complete_up_to(p.high_watermark);
    if (high_watermark_moved) high_watermark_moved(p);
}

std::map<int32_t, std::vector<PartitionState*>> ReplicaManager::followed_by_leader() {
    std::map<int32_t, std::vector<PartitionState*>> out;
    for (auto& [key, p] : partitions_)
        if (p.leader >= 0 && p.leader != config_.node_id) out[p.leader].push_back(&p);
    return out;
}

std::vector<AlterPartitionItem> ReplicaManager::isr_changes(int64_t now_ms) {
    constexpr int64_t kResendMs = 2000;
    std::vector<AlterPartitionItem> out;
    for (auto& [key, p] : partitions_) {
        if (!leads(p)) continue;
        if (p.alter_sent_epoch == p.partition_epoch && now_ms - p.alter_sent_ms < kResendMs) continue;
        std::vector<int32_t> wanted = p.wanted_isr(config_.node_id, now_ms, config_.replica_lag_time_max_ms);
        if (wanted == p.isr) continue;
        p.alter_sent_epoch = p.partition_epoch;
        p.alter_sent_ms = now_ms;
        if (trace)
            trace(fmt::format("replica: {}-{} asks the controller: ISR {} -> {} (AlterPartition)", p.topic, p.index,
                              ids_text(p.isr), ids_text(wanted)));
        out.push_back({p.topic, p.index, p.leader_epoch, std::move(wanted), p.partition_epoch});
    }
    return out;
}

}  // namespace minikafka
