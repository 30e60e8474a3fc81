// minikafka/core/replica_manager.cpp - following the controller's decisions (see the header).
//
// CONCEPT: a broker's replicas in a cluster (replica_manager.hpp): the controller decides who
// leads and who follows; each broker applies those decisions to the partitions it holds - open or
// create the log, become leader (accept produces, track followers, move the HW) or follower
// (truncate to the leader's history, start fetching). This is where "Fault Tolerance: can handle
// broker failures without data loss" happens on each broker.
//
//   image change ─▶ for each partition with a replica here: leader? ─ yes ─▶ become_leader
//                                                                  └ no ──▶ become_follower ─▶ fetcher
//
// READ NEXT: partition_state.cpp, replica_fetcher.cpp,
//            docs/minikafka/05-replication-and-the-controller.md "Failover".
#include "replica_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "log.hpp"
#include "topic_creation.hpp"  // kPartitionsPerTurn, kTurnBudgetMs

namespace minikafka {

namespace {
std::string ids_text(const std::vector<int32_t>& ids) { return fmt::format("[{}]", fmt::join(ids, ",")); }
}  // namespace

// Three passes: topics that disappeared (or were re-created under the same name: a new topic id)
// lose their logs; topics of the image get logs for all their partitions; then each partition's
// state follows its PartitionRecord. Only a topic this broker saw in the image and then saw go
// is deleted: at a restart the image is rebuilt record by record, and a topic not replayed yet
// must not lose its data.
//
// The same property makes it easy to cut into slices: a call that has made its turn's share of
// new logs skips the partitions still without one, and the next call - on the next turn - picks
// them up, because it compares the whole image again. A CreateTopics or CreatePartitions of
// thousands of partitions on a cluster used to hold each replica's broker thread for the whole
// creation (two fsyncs per partition: seconds), the way a single node's CreateTopics once did.
bool ReplicaManager::apply_image(const MetadataImage& image, int64_t now_ms) {
    // The whole image is compared with what this broker holds, rather than reacting to single
    // records: the outcome depends only on the image, so a broker that restarted or installed a
    // snapshot converges exactly like one that saw every record go by.
    if (image.applied_records() == applied_records_) return true;
    const int64_t started_ms = clock_ms ? clock_ms() : 0;
    int32_t made_logs = 0;
    bool logs_left = false;  // partitions skipped: this turn's share of new logs is made

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
            // acks=all produces waiting on a deleted partition can never be acknowledged now.
            p->second.waiting_produces.fail_all();
            p = partitions_.erase(p);
        }
        if (trace) trace(fmt::format("replica: topic {} deleted: its logs go", it->first));
        it = known_topics_.erase(it);
    }

    for (const auto& [id, topic] : image.topics()) {
        if (topic.name.empty() || topic.partitions.empty()) continue;
        known_topics_[topic.name] = id;
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
                // Not (or no longer) a replica here. A replica this process held and saw reassigned
                // away loses its log; one never seen as ours is left alone - while a restart replays
                // the metadata log, an early record may not name this broker yet.
                auto held = partitions_.find(key);
                if (held != partitions_.end()) {
                    held->second.waiting_produces.fail_all();
                    partitions_.erase(held);
                    std::vector<std::string> removed;
                    if (logs_.remove_partition(topic.name, index, removed).error == ErrorCode::None && remove_dirs)
                        remove_dirs(removed);
                    if (trace)
                        trace(fmt::format("replica: {}-{} reassigned away from node {} (replicas {}): its log goes",
                                          topic.name, index, config_.node_id, ids_text(record.replicas)));
                }
                continue;
            }
            // Only a replica has a log here (Kafka: a broker hosts the partitions assigned to it).
            if (!logs_.partition(topic.name, index)) {
                if (made_logs >= kPartitionsPerTurn || (clock_ms && clock_ms() - started_ms >= kTurnBudgetMs)) {
                    logs_left = true;  // the next call makes it
                    continue;
                }
                ++made_logs;
                // The data directory is fsynced once for the slice, below; the partition's own
                // directory with its first flush (DirectorySync::with_first_flush).
                if (LogManager::Result made = logs_.ensure_partition(topic.name, index, overrides, now_ms, false);
                    made.error != ErrorCode::None)
                    mb::log::error("replica: cannot create the log of {}-{}: {}", topic.name, index, made.message);
            }
            auto [it, fresh] = partitions_.try_emplace(key);
            PartitionState& p = it->second;
            const bool leader_changed = fresh || p.leader != record.leader || p.leader_epoch != record.leader_epoch;
            const bool was_leader = !fresh && leads(p);
            const std::vector<int32_t> old_isr = p.isr;
            const std::vector<int32_t> old_replicas = p.replicas;
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
                    stop_leading(p);
                }
                if (log) {
                    if (leads(p)) {
                        // Appends are stamped with the new epoch from here on, and the epoch
                        // starts at our log end (the leader-epoch checkpoint records it).
                        log->become_leader(p.leader_epoch);
                        p.leader_epoch_start_offset = log->log_end_offset();
                        p.truncation_pending = false;  // the leader's log is the truth
                    } else {
                        log->become_follower(p.leader_epoch);
                        // Before it fetches, the fetcher asks the new leader where our logs part.
                        // No leader (-1: every ISR member is down): nobody to agree with, and
                        // this log may be the one that leads next - the last ISR member's, with
                        // every acknowledged record - so nothing is cut until a leader answers.
                        p.truncation_pending = p.leader >= 0;
                    }
                }
                if (trace)
                    trace(fmt::format("replica: {}-{} leader {} epoch {}: this node (node {}) is {} (LEO {}, HW {})",
                                      topic.name, index, p.leader, p.leader_epoch, config_.node_id,
                                      leads(p) ? "the leader" : "a follower", log ? log->log_end_offset() : leo,
                                      p.high_watermark));
            } else {
                if (old_isr != p.isr && trace)
                    trace(fmt::format("replica: {}-{} ISR {} -> {} (min.insync.replicas {})", topic.name, index,
                                      ids_text(old_isr), ids_text(p.isr), min_insync_replicas(p)));
                if (old_replicas != p.replicas) {
                    // A reassignment: the leader starts tracking a new replica from its first fetch,
                    // and forgets one that left (its LEO must not hold the HW back).
                    std::erase_if(p.followers, [&](const auto& f) {
                        return std::find(p.replicas.begin(), p.replicas.end(), f.first) == p.replicas.end();
                    });
                    if (trace)
                        trace(fmt::format("replica: {}-{} replicas {} -> {} (adding {}, removing {})", topic.name,
                                          index, ids_text(old_replicas), ids_text(p.replicas),
                                          ids_text(record.adding_replicas), ids_text(record.removing_replicas)));
                }
            }
            if (leads(p)) {
                // The ISR may have shrunk (a fenced follower): the HW can move now.
                const int64_t before = p.high_watermark;
                if (p.advance_high_watermark(config_.node_id, leo)) hw_moved(p, before);
            }
        }
    }
    if (made_logs > 0) logs_.sync_data_directory();  // the new directories survive a crash
    if (logs_left) return false;                     // applied_records_ stays behind: the next call looks again
    applied_records_ = image.applied_records();
    return true;
}

// This broker led `p` and the image says someone else does now - typically because it was cut
// off (frozen by SIGSTOP, or partitioned from the controller) long enough to be fenced, and has
// only now caught up with the metadata. Whatever waits here for the partition waits for nothing:
// its followers fetch from the new leader, so the HW will never move again. So every waiting
// acks=all produce answers NOT_LEADER_OR_FOLLOWER now, and every parked Fetch wakes and re-reads
// (handlers/fetch.cpp: not the leader -> NOT_LEADER_OR_FOLLOWER), instead of holding the client
// until request.timeout.ms or max_wait_ms. The client refreshes its metadata and retries on the
// new leader; an idempotent producer's retry carries the same sequence numbers, so it lands once.
// REAL KAFKA: Partition.makeFollower, then ReplicaManager completing the delayed produces and
// fetches of the partitions that changed (completeDelayedFetchOrProduceRequests).
void ReplicaManager::stop_leading(PartitionState& p) {
    const size_t waiting = p.waiting_produces.size();
    p.waiting_produces.fail_all();  // their answer: NOT_LEADER_OR_FOLLOWER
    if (trace)
        trace(
            fmt::format("replica: {}-{} is led by {} in epoch {} now, not by this node: {} waiting acks=all "
                        "produce(s) and the parked fetches answer NOT_LEADER_OR_FOLLOWER",
                        p.topic, p.index, p.leader, p.leader_epoch, waiting));
    if (leadership_moved) leadership_moved(p);
}

// A broker that becomes a follower may hold a tail the new leader never had: records the old
// leader (maybe this broker) appended but no ISR confirmed. Left in place, the two logs would
// differ at the same offsets - or the follower's fetch offset would lie past the leader's log end
// forever. Where to cut? Not at the follower's high watermark: it lags the leader's by a fetch
// round trip, so a record the leader had acknowledged could sit above it - and be cut here, and
// be lost if this replica led next (KIP-101; docs/minikafka/05, "Leader epochs and truncation").
// Instead the follower names its latest epoch in each Fetch (last_fetched_epoch, Fetch v12); when
// the leader's history disagrees it answers where that epoch ends there (the diverging epoch,
// replica_fetcher.cpp), and the follower cuts only what the two logs do not share
// (PartitionLog::divergence_from). The answer is the same OffsetsForLeaderEpoch gives - which
// is what followers asked before Fetch v12, one extra round trip per leader change.
bool ReplicaManager::truncate_to_leader(PartitionState& p, PartitionLog& log, int32_t asked, EpochEnd answer) {
    PartitionLog::DivergencePoint point = log.divergence_from(answer);
    if (point.truncate_to == kUndefinedEpochOffset) {  // no epoch in common: the old rule
        truncate_to_high_watermark(p, log);
        return true;
    }
    cut(p, log, point.truncate_to,
        fmt::format("leader {} says epoch {} ends at {} there (asked about our epoch {})", p.leader, answer.epoch,
                    answer.end_offset, asked));
    if (point.settled) p.truncation_pending = false;
    return point.settled;
}

void ReplicaManager::truncate_to_high_watermark(PartitionState& p, PartitionLog& log) {
    p.truncation_pending = false;
    if (log.log_end_offset() == log.log_start_offset()) return;  // empty (a new partition): nothing to say
    cut(p, log, p.high_watermark, "no leader epoch to compare: cut to the high watermark");
}

void ReplicaManager::cut(PartitionState& p, PartitionLog& log, int64_t offset, std::string_view why) {
    const int64_t before = log.log_end_offset();
    log.truncate_to(offset);  // at or past the log end: only an empty epoch at the end goes
    // A follower's HW is min(leader's, own LEO): it cannot stay above what we hold.
    p.high_watermark = std::min(p.high_watermark, log.log_end_offset());
    if (trace)
        trace(fmt::format("replica: {}-{} follower of leader {} epoch {}: {}: {}", p.topic, p.index, p.leader,
                          p.leader_epoch, why,
                          offset < before ? fmt::format("log cut from {} back to {}", before, log.log_end_offset())
                                          : fmt::format("nothing to cut (LEO {})", before)));
}

// apply_image never deletes a log it did not see become someone else's (see above), so a broker
// that was down while its replica was reassigned away still has the log. Kafka calls these "stray"
// replicas and removes them once the broker has loaded the metadata; here that moment is the
// unfencing: the controller unfences a broker only when its heartbeats show it has applied the
// metadata log past its own registration - everything that happened while it was down.
void ReplicaManager::remove_strays(const MetadataImage& image) {
    std::map<std::string_view, const MetadataImage::TopicState*> by_name;
    for (const auto& [id, topic] : image.topics()) by_name[topic.name] = &topic;
    std::vector<std::pair<std::string, int32_t>> strays;
    for (const auto& [name, topic] : logs_.topics()) {
        // Internal names are not the image's to judge: __cluster_metadata-0 is the Raft log's own
        // directory (the LogManager sees a "partition" in it), and an internal topic may live here
        // before the image knows it.
        if (name.starts_with("__")) continue;
        auto in_image = by_name.find(name);
        for (size_t i = 0; i < topic.partitions.size(); ++i) {
            if (!topic.partitions[i]) continue;
            const auto index = static_cast<int32_t>(i);
            bool ours = false;
            if (in_image != by_name.end()) {
                auto record = in_image->second->partitions.find(index);
                ours = record != in_image->second->partitions.end() &&
                       std::find(record->second.replicas.begin(), record->second.replicas.end(), config_.node_id) !=
                           record->second.replicas.end();
            }
            if (!ours) strays.emplace_back(name, index);
        }
    }
    for (const auto& [name, index] : strays) {
        partitions_.erase(std::make_pair(name, index));
        std::vector<std::string> removed;
        if (logs_.remove_partition(name, index, removed).error == ErrorCode::None && remove_dirs) remove_dirs(removed);
        if (trace)
            trace(fmt::format("replica: {}-{} is a stray (node {} is no replica of it): its log goes", name, index,
                              config_.node_id));
    }
}

PartitionState* ReplicaManager::find(std::string_view topic, int32_t partition) {
    auto it = partitions_.find(std::make_pair(std::string(topic), partition));
    return it == partitions_.end() ? nullptr : &it->second;
}

// The leader's HW can move on two events: its own append (an ISR of just the leader commits at
// once) and a follower's fetch (which proves the follower holds everything below its offset).
void ReplicaManager::leader_appended(PartitionState& p, int64_t leo) {
    const int64_t before = p.high_watermark;
    if (p.advance_high_watermark(config_.node_id, leo)) hw_moved(p, before);
}

void ReplicaManager::follower_fetched(PartitionState& p, int32_t replica, int64_t fetch_offset, int64_t now_ms) {
    PartitionLog* log = logs_.partition(p.topic, p.index);
    if (!log) return;
    // A broker that is no replica (reassigned away, and not told yet) is served but not counted.
    if (std::find(p.replicas.begin(), p.replicas.end(), replica) == p.replicas.end()) return;
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

// Everything that waits on the HW is released here: acks=all produces and offset commits
// (waiting_produces), and, through high_watermark_moved, the consumers' long-polling fetches -
// records below the HW just became readable for them.
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

// The ISR changes the leader wants to ask for (AlterPartition). One request per partition epoch,
// resent after kResendMs if no answer changed the partition (the request may have been lost with
// a controller change), and not sooner, so a leader never floods the controller.
std::vector<AlterPartitionItem> ReplicaManager::isr_changes(int64_t now_ms) {
    constexpr int64_t kResendMs = 2000;
    std::vector<AlterPartitionItem> out;
    for (auto& [key, p] : partitions_) {
        if (!leads(p)) continue;
        if (p.alter_sent_epoch == p.partition_epoch && now_ms - p.alter_sent_ms < kResendMs) continue;
        std::vector<int32_t> wanted = p.wanted_isr(config_.node_id, now_ms, config_.replica_lag_time_max_ms);
        // The same members in another order is no change (a reassignment reorders the replicas,
        // and wanted_isr lists the ISR in replica order).
        std::vector<int32_t> sorted_wanted = wanted, sorted_isr = p.isr;
        std::sort(sorted_wanted.begin(), sorted_wanted.end());
        std::sort(sorted_isr.begin(), sorted_isr.end());
        if (sorted_wanted == sorted_isr) continue;
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
