// minikafka/core/reassignment.cpp - the reassignment state machine (see reassignment.hpp), and
// the active controller's AlterPartitionReassignments / ListPartitionReassignments.
//
// CONCEPT: moving replicas while the partition stays in use (KIP-455; reassignment.hpp). The
// notes' "Scalability: easily scales horizontally by adding brokers" needs this step: a new
// broker holds nothing until partitions are moved to it. The controller only edits the replica
// set; the new replica copies the data by fetching like any follower.
//
//   replicas {1,2,3} ─▶ adding {4}: replicas {1,2,3,4} ─▶ 4 joins the ISR ─▶ drop the removed: {2,3,4}
//
// READ NEXT: replica_manager.cpp (a broker gaining or losing a replica), handlers/reassignments.cpp,
//            docs/minikafka/05-replication-and-the-controller.md "Adding a broker: reassignment".
#include "reassignment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "controller.hpp"

namespace minikafka {

namespace {
bool contains(const std::vector<int32_t>& ids, int32_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}
std::vector<int32_t> minus(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
    std::vector<int32_t> out;
    for (int32_t id : a)
        if (!contains(b, id)) out.push_back(id);
    return out;
}
std::vector<int32_t> both(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
    std::vector<int32_t> out;
    for (int32_t id : a)
        if (contains(b, id)) out.push_back(id);
    return out;
}
std::string ids_text(const std::vector<int32_t>& ids) { return fmt::format("[{}]", fmt::join(ids, ",")); }

// The record that makes `replicas` the partition's whole replica set: the ISR keeps only its
// members, and a leader outside it hands over to the first live ISR member of the new set.
PartitionChangeRecord finish(const PartitionRecord& p, const std::vector<int32_t>& replicas,
                             const std::function<bool(int32_t)>& live) {
    PartitionChangeRecord change;
    change.topic_id = p.topic_id;
    change.partition_id = p.partition_id;
    change.replicas = replicas;
    change.adding_replicas = std::vector<int32_t>{};
    change.removing_replicas = std::vector<int32_t>{};
    std::vector<int32_t> isr = both(p.isr, replicas);
    if (isr.empty()) isr = p.isr;  // never an empty ISR (cannot happen: checked by the callers)
    if (isr != p.isr) change.isr = isr;
    if (!contains(replicas, p.leader)) {
        int32_t leader = -1;
        for (int32_t b : replicas)
            if (contains(isr, b) && live(b)) {
                leader = b;
                break;
            }
        change.leader = leader;
    }
    return change;
}
}  // namespace

// Why two records and not one: replacing [1,2,3] by [2,3,4] in one step would leave the partition
// with a replica (4) that holds nothing yet, counted in its replication factor. In the copying
// phase the partition has *more* replicas than asked - old and new - and only once the new ones
// are in the ISR does the second record (complete_reassignment) drop the old ones. At no moment
// is the partition less replicated than before, and it stays writable throughout.
ReassignmentDecision start_reassignment(const PartitionRecord& p, const std::optional<std::vector<int32_t>>& target,
                                        const std::function<bool(int32_t)>& registered,
                                        const std::function<bool(int32_t)>& live) {
    // What the partition had before any reassignment in progress: the replicas minus those being added.
    const std::vector<int32_t> original = minus(p.replicas, p.adding_replicas);
    const bool in_progress = !p.adding_replicas.empty() || !p.removing_replicas.empty();
    if (!target) {
        if (!in_progress) return {ErrorCode::NoReassignmentInProgress, "no reassignment in progress", {}};
        return {ErrorCode::None, {}, finish(p, original, live)};  // back to where it started
    }
    const std::set<int32_t> distinct(target->begin(), target->end());
    if (target->empty() || distinct.size() != target->size())
        return {ErrorCode::InvalidReplicaAssignment,
                fmt::format("replicas {} are empty or repeat a broker", ids_text(*target)),
                {}};
    for (int32_t b : *target)
        if (!registered(b))
            return {ErrorCode::InvalidReplicaAssignment, fmt::format("broker {} is not registered", b), {}};
    const std::vector<int32_t> adding = minus(*target, original);
    const std::vector<int32_t> removing = minus(original, *target);
    // Nothing to copy (a reorder, or only removals): the target's ISR members hold everything.
    if (adding.empty()) {
        if (both(p.isr, *target).empty())
            return {ErrorCode::InvalidReplicaAssignment,
                    fmt::format("no member of ISR {} is in the target {}", ids_text(p.isr), ids_text(*target)),
                    {}};
        if (*target == p.replicas && !in_progress) return {};
        return {ErrorCode::None, {}, finish(p, *target, live)};
    }
    // The copying phase: the target first (its order is the new preference), then the replicas
    // that go, which stay in the ISR and keep serving until the new ones have caught up.
    PartitionChangeRecord change;
    change.topic_id = p.topic_id;
    change.partition_id = p.partition_id;
    std::vector<int32_t> replicas = *target;
    for (int32_t b : removing) replicas.push_back(b);
    change.replicas = replicas;
    change.adding_replicas = adding;
    change.removing_replicas = removing;
    // A previous reassignment's adding replica not in this target leaves the ISR with it.
    const std::vector<int32_t> isr = both(p.isr, replicas);
    if (isr != p.isr) change.isr = isr;
    return {ErrorCode::None, {}, change};
}

// "Caught up" is judged by the ISR and nothing else: the leader admits a new replica to the ISR
// (AlterPartition) only once its log reached the high watermark - the same rule that protects
// acknowledged records in a failover protects them here.
std::optional<PartitionChangeRecord> complete_reassignment(const PartitionRecord& p,
                                                           const std::function<bool(int32_t)>& live) {
    if (p.adding_replicas.empty() && p.removing_replicas.empty()) return std::nullopt;
    for (int32_t b : p.adding_replicas)
        if (!contains(p.isr, b)) return std::nullopt;  // still catching up
    const std::vector<int32_t> target = minus(p.replicas, p.removing_replicas);
    if (both(p.isr, target).empty()) return std::nullopt;
    return finish(p, target, live);
}

// ---- the active controller ------------------------------------------------------------------

// The active controller's half. Only the first record of a move is proposed here; the answer goes
// back as soon as it is proposed, and the rest happens without the client: the new replicas fetch,
// the leader's AlterPartition adds them to the ISR, and tick_reassignment proposes the second
// record. pending_changes_ notes the partition epoch the change was built on, so the tick does not
// propose a competing change for the same partition while this one commits.
AlterReassignmentsResponse Controller::alter_reassignments(const AlterReassignmentsRequest& request, int64_t now_ms) {
    AlterReassignmentsResponse response;
    if (!is_active()) {
        response.error = ErrorCode::NotController;
        response.message = "this node is not the active controller";
        return response;
    }
    auto registered = [this](int32_t b) { return image_.brokers().contains(b); };
    auto live = [this](int32_t b) { return broker_is_live(b); };
    for (const ReassignTopic& topic : request.topics) {
        ReassignTopicResult& topic_result = response.topics.emplace_back();
        topic_result.name = topic.name;
        Uuid id{};
        const MetadataImage::TopicState* state = find_topic(topic.name, &id);
        for (const ReassignPartition& wanted : topic.partitions) {
            ReassignPartitionResult& result = topic_result.partitions.emplace_back();
            result.partition = wanted.partition;
            auto p = state ? state->partitions.find(wanted.partition) : decltype(state->partitions.end()){};
            if (!state || p == state->partitions.end()) {
                result.error = ErrorCode::UnknownTopicOrPartition;
                result.message = fmt::format("no partition {}-{}", topic.name, wanted.partition);
                continue;
            }
            ReassignmentDecision decision = start_reassignment(p->second, wanted.replicas, registered, live);
            result.error = decision.error;
            result.message = decision.message;
            if (!decision.change) continue;
            if (!replica_.propose(encode_metadata_record(*decision.change), now_ms)) {
                result.error = ErrorCode::NotController;
                continue;
            }
            pending_changes_[{id, wanted.partition}] = {p->second.partition_epoch, now_ms};
            if (trace)
                trace(fmt::format("metadata: reassignment of {}-{}: replicas {} -> {}, adding {}, removing {} proposed",
                                  topic.name, wanted.partition, ids_text(p->second.replicas),
                                  ids_text(decision.change->replicas.value_or(p->second.replicas)),
                                  ids_text(decision.change->adding_replicas.value_or(std::vector<int32_t>{})),
                                  ids_text(decision.change->removing_replicas.value_or(std::vector<int32_t>{}))));
        }
    }
    return response;
}

// Answered by any node from its own image: a reassignment is in the metadata log, so every
// broker knows which are in progress (Kafka answers on the controller; the view is the same).
ListReassignmentsResponse Controller::list_reassignments(const ListReassignmentsRequest& request) const {
    ListReassignmentsResponse response;
    for (const auto& entry : image_.topics()) {
        const auto& topic = entry.second;  // (a lambda may not capture a structured binding in C++20)
        std::vector<OngoingReassignment> ongoing;
        const std::vector<int32_t>* asked = nullptr;
        if (request.topics) {
            auto named = std::find_if(request.topics->begin(), request.topics->end(),
                                      [&](const auto& t) { return t.first == topic.name; });
            if (named == request.topics->end()) continue;
            asked = &named->second;
        }
        for (const auto& [index, p] : topic.partitions) {
            if (p.adding_replicas.empty() && p.removing_replicas.empty()) continue;
            if (asked && !contains(*asked, index)) continue;
            ongoing.push_back({index, p.replicas, p.adding_replicas, p.removing_replicas});
        }
        if (!ongoing.empty()) response.topics.emplace_back(topic.name, std::move(ongoing));
    }
    return response;
}

// From tick_partitions: a reassignment whose new replicas have all joined the ISR is finished.
bool Controller::tick_reassignment(const Uuid& topic_id, const std::string& topic, const PartitionRecord& p,
                                   int64_t now_ms) {
    std::optional<PartitionChangeRecord> change =
        complete_reassignment(p, [this](int32_t b) { return broker_is_live(b); });
    if (!change) return false;
    if (!replica_.propose(encode_metadata_record(*change), now_ms)) return true;
    pending_changes_[{topic_id, p.partition_id}] = {p.partition_epoch, now_ms};
    if (trace)
        trace(fmt::format(
            "metadata: reassignment of {}-{} complete: replicas {} -> {}, ISR {} -> {}, leader {} -> {} "
            "proposed",
            topic, p.partition_id, ids_text(p.replicas), ids_text(*change->replicas), ids_text(p.isr),
            ids_text(change->isr.value_or(p.isr)), p.leader, change->leader == -2 ? p.leader : change->leader));
    return true;
}

}  // namespace minikafka
