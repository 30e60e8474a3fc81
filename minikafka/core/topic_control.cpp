// minikafka/core/topic_control.cpp
//
// CONCEPT: the controller owns the topics. In a cluster no broker creates a topic on its own:
// CreateTopics (from a client of any broker, forwarded to the active controller) becomes records
// in the metadata log, and every broker creates its replicas' logs when it applies them.
//
//   client ─CreateTopics─▶ any broker ─forwarded─▶ active controller
//                                                    checks the name, RF <= live brokers
//                                                    place_replicas (round robin, replica_placement.hpp)
//                                                    propose TopicRecord, PartitionRecord x N
//                                                         │ committed by the quorum
//                          every broker ◀── applied ──────┘ ReplicaManager: logs, leader, ISR
//
// The same controller keeps the partitions led: a broker that is fenced (its heartbeats stopped,
// broker_lifecycle.cpp) leaves every ISR, and a partition it led gets a new leader from the rest
// of its ISR - never from outside it (unclean.leader.election.enable=false: a replica outside the
// ISR may miss acknowledged records; with it true and no ISR member alive, one is elected all the
// same, and what it missed is gone: availability bought with data). When the preferred replica
// (the first one) is back in the ISR, leadership returns to it leader.imbalance.check.interval
// later (auto.leader.rebalance.enable).
// Each leader change is a PartitionChangeRecord, which bumps the leader epoch on every node that
// applies it.
// REAL KAFKA: ReplicationControlManager (createTopics, handleBrokerFenced, PartitionChangeBuilder,
// maybeBalancePartitionLeaders).
// READ NEXT: replica_manager.hpp - what a broker does with these records.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <random>
#include <set>

#include "controller.hpp"
#include "log.hpp"
#include "replica_placement.hpp"
#include "storage/log_manager.hpp"

namespace minikafka {

namespace {
constexpr int64_t kPendingTopicMs = 5000;  // a proposal not applied by then is assumed lost
constexpr int64_t kPartitionTickMs = 100;  // how often the leader looks over the partitions
constexpr int32_t kMaxPartitionsPerTopic = LogManager::kMaxPartitions;

std::string ids_text(const std::vector<int32_t>& ids) { return fmt::format("[{}]", fmt::join(ids, ",")); }

// unclean.leader.election.enable: the topic's own config (a ConfigRecord) wins over the broker's.
bool unclean_allowed(const MetadataImage::TopicState& topic, bool broker_default) {
    auto it = topic.configs.find("unclean.leader.election.enable");
    return it == topic.configs.end() ? broker_default : it->second == "true";
}
}  // namespace

// Topic configs become ConfigRecords; checked here against a default LogConfig, so that every
// broker can apply them. min.insync.replicas is the replication layer's, not the log's.
std::optional<std::string> check_topic_config(const ConfigEntry& c) {
    if (c.name == "min.insync.replicas") {
        int64_t n = 0;
        auto [end, ec] = std::from_chars(c.value.data(), c.value.data() + c.value.size(), n);
        if (ec != std::errc{} || end != c.value.data() + c.value.size() || n < 1 || n > INT32_MAX)
            return fmt::format("min.insync.replicas={}: not a positive integer", c.value);
        return std::nullopt;
    }
    LogConfig check;
    return apply_topic_config(check, c.name, c.value);
}

std::vector<AlterConfigsResult> Controller::alter_configs(const AlterConfigsRequest& request, int64_t now_ms) {
    std::vector<AlterConfigsResult> results;
    for (const AlterConfigsResource& resource : request.resources) {
        AlterConfigsResult& result = results.emplace_back();
        result.type = resource.type;
        result.name = resource.name;
        if (resource.type == static_cast<int8_t>(ConfigResourceType::Broker)) {
            if (resource.configs.empty()) continue;  // "no dynamic broker configs": already so
            result.error = ErrorCode::InvalidRequest;
            result.message = fmt::format("broker configs are command-line options here; {} cannot change while running",
                                         resource.configs[0].name);
            continue;
        }
        if (resource.type != static_cast<int8_t>(ConfigResourceType::Topic)) {
            result.error = ErrorCode::InvalidRequest;
            result.message = "only topic (2) and broker (4) resources have configs here";
            continue;
        }
        if (!is_active()) {
            result.error = ErrorCode::NotController;
            result.message = "this node is not the active controller";
            continue;
        }
        const MetadataImage::TopicState* topic = find_topic(resource.name);
        if (!topic) {
            result.error = ErrorCode::UnknownTopicOrPartition;
            result.message = fmt::format("no topic '{}'", resource.name);
            continue;
        }
        for (const ConfigEntry& c : resource.configs) {
            if (auto error = check_topic_config(c)) {
                result.error = ErrorCode::InvalidConfig;
                result.message = *error;
                break;
            }
        }
        if (result.error != ErrorCode::None || request.validate_only) continue;
        std::vector<ConfigRecord> records;
        for (const auto& entry : topic->configs) {
            const std::string& name = entry.first;  // (a lambda may not capture a structured binding in C++20)
            const bool kept = std::any_of(resource.configs.begin(), resource.configs.end(),
                                          [&](const ConfigEntry& c) { return c.name == name; });
            if (!kept) records.push_back(ConfigRecord{2, resource.name, name, std::nullopt});
        }
        for (const ConfigEntry& c : resource.configs) {
            auto current = topic->configs.find(c.name);
            if (current == topic->configs.end() || current->second != c.value)
                records.push_back(ConfigRecord{2, resource.name, c.name, c.value});
        }
        for (const ConfigRecord& record : records) {
            if (!replica_.propose(encode_metadata_record(record), now_ms)) {
                result.error = ErrorCode::NotController;
                break;
            }
            if (trace)
                trace(fmt::format("metadata: ConfigRecord topic={} {}={} proposed", record.resource_name, record.name,
                                  record.value.value_or("(default)")));
        }
    }
    return results;
}

std::vector<int32_t> Controller::unfenced_brokers() const {
    std::vector<int32_t> out;
    for (const auto& [id, broker] : image_.brokers())
        if (!broker.fenced) out.push_back(id);
    return out;  // std::map order: sorted
}

bool Controller::broker_is_live(int32_t id) const {
    auto broker = image_.brokers().find(id);
    if (broker == image_.brokers().end() || broker->second.fenced) return false;
    // Fenced by this controller, the record not committed yet: its partitions move now, their
    // changes right behind the FenceBrokerRecord in the metadata log, instead of one commit round
    // and one partition tick later (Kafka's handleBrokerFenced writes them in one batch). Both
    // commit or neither: a log commits in order.
    auto session = sessions_.find(id);
    return session == sessions_.end() || !session->second.fence_proposed;
}

const MetadataImage::TopicState* Controller::find_topic(std::string_view name, Uuid* id) const {
    for (const auto& [topic_id, topic] : image_.topics()) {
        if (topic.name != name) continue;
        if (id) *id = topic_id;
        return &topic;
    }
    return nullptr;
}

// An explicit assignment: every partition names distinct, registered brokers.
static bool check_assignment(const std::vector<std::vector<int32_t>>& assignment, const MetadataImage& image,
                             std::string& why) {
    for (size_t p = 0; p < assignment.size(); ++p) {
        const auto& replicas = assignment[p];
        std::set<int32_t> seen(replicas.begin(), replicas.end());
        if (replicas.empty() || seen.size() != replicas.size()) {
            why = fmt::format("partition {}: replicas {} are empty or repeat a broker", p, ids_text(replicas));
            return false;
        }
        for (int32_t b : replicas) {
            if (!image.brokers().contains(b)) {
                why = fmt::format("partition {}: broker {} is not registered", p, b);
                return false;
            }
        }
        if (replicas.size() != assignment[0].size()) {
            why = "all partitions must have the same number of replicas";
            return false;
        }
    }
    return true;
}

Controller::TopicChange Controller::create_topic(const CreatableTopic& topic, int32_t default_partitions,
                                                 int16_t default_replication, bool validate_only, int64_t now_ms) {
    if (!is_active()) return {ErrorCode::NotController, "this node is not the active controller"};
    if (!LogManager::valid_topic_name(topic.name))
        return {ErrorCode::InvalidTopicException, fmt::format("'{}' is not a valid topic name", topic.name)};
    // A topic proposed but not yet committed is not in the image: without pending_topics_, two
    // CreateTopics for one name a few milliseconds apart (two auto-creating clients) would both
    // pass this check and propose two topics with one name.
    std::erase_if(pending_topics_, [&](const auto& p) { return now_ms - p.second > kPendingTopicMs; });
    if (find_topic(topic.name) || pending_topics_.contains(topic.name))
        return {ErrorCode::TopicAlreadyExists, fmt::format("topic '{}' already exists", topic.name)};
    for (const ConfigEntry& c : topic.configs)
        if (auto error = check_topic_config(c)) return {ErrorCode::InvalidConfig, *error};

    std::vector<std::vector<int32_t>> assignment;
    if (!topic.assignments.empty()) {
        std::string why;
        if (!check_assignment(topic.assignments, image_, why)) return {ErrorCode::InvalidReplicaAssignment, why};
        assignment = topic.assignments;
    } else {
        const int32_t partitions = topic.num_partitions == -1 ? default_partitions : topic.num_partitions;
        if (partitions < 1 || partitions > kMaxPartitionsPerTopic)
            return {ErrorCode::InvalidPartitions,
                    fmt::format("{} partitions: must be 1..{}", partitions, kMaxPartitionsPerTopic)};
        const int32_t rf = topic.replication_factor == -1 ? default_replication : topic.replication_factor;
        const std::vector<int32_t> live = unfenced_brokers();
        if (rf < 1 || static_cast<size_t>(rf) > live.size())
            return {ErrorCode::InvalidReplicationFactor,
                    fmt::format("Unable to replicate the partition {} time(s): The target replication factor of {} "
                                "cannot be reached because only {} broker(s) are registered.",
                                rf, rf, live.size())};
        // The start index varies per topic (Kafka: at random); the shift too.
        std::random_device random;
        assignment = place_replicas(live, partitions, rf, 0, random(), random());
    }
    if (validate_only) return {};

    // Checks done; from here on only proposals. The topic gets a random id (a Uuid, as in Kafka):
    // every later record names the topic by id, so a topic deleted and created again under the
    // same name is a different topic, and a slow broker cannot mix up their partitions.
    TopicRecord record;
    record.name = topic.name;
    std::random_device random;
    for (auto& byte : record.topic_id) byte = static_cast<uint8_t>(random());
    if (!replica_.propose(encode_metadata_record(record), now_ms)) return {ErrorCode::NotController, ""};
    for (const ConfigEntry& c : topic.configs)
        replica_.propose(encode_metadata_record(ConfigRecord{2, topic.name, c.name, c.value}), now_ms);
    for (size_t p = 0; p < assignment.size(); ++p) {
        PartitionRecord partition;
        partition.partition_id = static_cast<int32_t>(p);
        partition.topic_id = record.topic_id;
        partition.replicas = assignment[p];
        partition.isr = assignment[p];  // empty logs: every replica holds all of nothing, so all are in sync
        // The preferred replica leads, if it is alive (an explicit assignment may name a fenced one).
        auto leader =
            std::find_if(assignment[p].begin(), assignment[p].end(), [&](int32_t b) { return broker_is_live(b); });
        partition.leader = leader == assignment[p].end() ? -1 : *leader;
        partition.leader_epoch = 0;
        partition.partition_epoch = 0;
        replica_.propose(encode_metadata_record(partition), now_ms);
        if (trace)
            trace(fmt::format("metadata: PartitionRecord topic={} partition={} replicas={} leader={} proposed",
                              topic.name, p, ids_text(partition.replicas), partition.leader));
    }
    pending_topics_[topic.name] = now_ms;
    return {};
}

Controller::TopicChange Controller::create_partitions(const CreatePartitionsTopic& topic, bool validate_only,
                                                      int64_t now_ms) {
    if (!is_active()) return {ErrorCode::NotController, "this node is not the active controller"};
    Uuid id{};
    const MetadataImage::TopicState* state = find_topic(topic.name, &id);
    if (!state) return {ErrorCode::UnknownTopicOrPartition, fmt::format("no topic '{}'", topic.name)};
    const auto current = static_cast<int32_t>(state->partitions.size());
    if (topic.count <= current || topic.count > kMaxPartitionsPerTopic)
        return {ErrorCode::InvalidPartitions,
                fmt::format("topic '{}' has {} partitions; the new count must be larger (and at most {})", topic.name,
                            current, kMaxPartitionsPerTopic)};
    // New partitions get the replication factor the topic already has: its first partition's
    // replica count (Kafka reads it the same way, from the existing assignment).
    const int32_t rf =
        state->partitions.empty() ? 1 : static_cast<int32_t>(state->partitions.begin()->second.replicas.size());
    std::vector<std::vector<int32_t>> assignment;
    if (topic.assignments) {
        std::string why;
        if (static_cast<int32_t>(topic.assignments->size()) != topic.count - current ||
            !check_assignment(*topic.assignments, image_, why))
            return {ErrorCode::InvalidReplicaAssignment, why.empty() ? "one assignment per new partition" : why};
        assignment = *topic.assignments;
    } else {
        const std::vector<int32_t> live = unfenced_brokers();
        if (static_cast<size_t>(rf) > live.size())
            return {ErrorCode::InvalidReplicationFactor,
                    fmt::format("replication factor {} but only {} live brokers", rf, live.size())};
        std::random_device random;
        assignment = place_replicas(live, topic.count - current, rf, current, random(), random());
    }
    if (validate_only) return {};
    for (size_t i = 0; i < assignment.size(); ++i) {
        PartitionRecord partition;
        partition.partition_id = current + static_cast<int32_t>(i);
        partition.topic_id = id;
        partition.replicas = assignment[i];
        partition.isr = assignment[i];
        auto leader =
            std::find_if(assignment[i].begin(), assignment[i].end(), [&](int32_t b) { return broker_is_live(b); });
        partition.leader = leader == assignment[i].end() ? -1 : *leader;
        partition.leader_epoch = 0;
        partition.partition_epoch = 0;
        if (!replica_.propose(encode_metadata_record(partition), now_ms)) return {ErrorCode::NotController, ""};
    }
    return {};
}

Controller::TopicChange Controller::delete_topic(std::string_view name, int64_t now_ms) {
    if (!is_active()) return {ErrorCode::NotController, "this node is not the active controller"};
    Uuid id{};
    if (!find_topic(name, &id)) return {ErrorCode::UnknownTopicOrPartition, fmt::format("no topic '{}'", name)};
    // One record removes the topic with all its partitions; each broker then deletes its replicas'
    // directories when it applies it (replica_manager.cpp).
    if (!replica_.propose(encode_metadata_record(RemoveTopicRecord{id}), now_ms)) return {ErrorCode::NotController, ""};
    if (trace) trace(fmt::format("metadata: RemoveTopicRecord topic={} proposed", name));
    return {};
}

// Every kPartitionTickMs on the active controller: for each partition, the ISR without fenced
// brokers and the leader it should have. Kafka does the first at the moment it fences a broker
// and the last in a periodic "preferred leader election"; looking at every partition on a timer
// is simpler and catches both (and a new active controller finishing a predecessor's work).
void Controller::tick_partitions(int64_t now_ms) {
    if (!is_active()) {
        balance_due_ms_ = -1;  // a new active controller starts its own wait (Kafka: DEFERRED)
        return;
    }
    if (now_ms - last_partition_tick_ms_ < kPartitionTickMs) return;
    last_partition_tick_ms_ = now_ms;
    // The preferred leader election runs on this tick if one is due (see below, "Leadership goes
    // home"); the next one is armed, an interval later, by the first partition found off home.
    const bool balance_now = balance_due_ms_ >= 0 && now_ms >= balance_due_ms_;
    if (balance_now) balance_due_ms_ = -1;
    bool imbalanced = false;
    for (const auto& [topic_id, topic] : image_.topics()) {
        for (const auto& [index, p] : topic.partitions) {
            auto pending = pending_changes_.find({topic_id, index});
            if (pending != pending_changes_.end() && pending->second.first == p.partition_epoch &&
                now_ms - pending->second.second < kPendingTopicMs)
                continue;  // our last change to it is still being committed
            if (tick_reassignment(topic_id, topic.name, p, now_ms)) continue;
            std::vector<int32_t> isr;
            for (int32_t b : p.isr)
                if (broker_is_live(b)) isr.push_back(b);
            // The ISR never becomes empty: the last member stays in it (and is the only one that
            // may lead again without losing acknowledged records), as Kafka keeps it.
            if (isr.empty() && !p.isr.empty()) isr.push_back(p.isr.back() == p.leader ? p.leader : p.isr.back());
            int32_t leader = p.leader;
            if (leader < 0 || !broker_is_live(leader) || std::find(isr.begin(), isr.end(), leader) == isr.end()) {
                leader = -1;
                for (int32_t b : p.replicas)  // the first live ISR member in preference order
                    if (broker_is_live(b) && std::find(isr.begin(), isr.end(), b) != isr.end()) {
                        leader = b;
                        break;
                    }
            }
            // No ISR member is alive. Clean (the default): the partition stays offline (leader -1)
            // until one comes back, because only an ISR member surely holds every acknowledged
            // record. Unclean: any live replica leads, the ISR becomes just it, and whatever the
            // old ISR acknowledged beyond its log end is lost - its log is the truth from now on,
            // and the old members cut theirs back to it when they return (docs/minikafka/05,
            // "Why unclean leader election loses data").
            bool unclean = false;
            if (leader < 0 && unclean_allowed(topic, config_.unclean_leader_election)) {
                for (int32_t b : p.replicas)
                    if (broker_is_live(b)) {
                        leader = b;
                        isr = {b};
                        unclean = true;
                        break;
                    }
            }
            // Leadership goes home - but not at once. The preferred replica (the first one) is where
            // the assignment spread the leaders evenly over the brokers; after a failover some
            // broker leads more than its share. Kafka's controller moves leadership back in a
            // "preferred leader election" that runs leader.imbalance.check.interval.seconds (300 s)
            // after it first sees a partition off home, for every such partition whose preferred
            // replica is alive and in the ISR (KRaft's maybeBalancePartitionLeaders). The wait is
            // the point: a broker that just came back - perhaps one that froze, was fenced and
            // resumed - has to stay up a while before clients are sent back to it, and each move
            // is a new leader epoch that every producer and consumer must follow. Moving at once
            // (as this controller did) handed leadership back a fraction of a second after the
            // failover, and a client that refreshed its metadata a little late never saw the
            // failover's leader at all. auto.leader.rebalance.enable=false: never, leadership stays
            // where the failover put it until an operator moves it.
            const int32_t preferred = p.replicas.empty() ? -1 : p.replicas.front();
            if (config_.auto_leader_rebalance && preferred >= 0 && leader >= 0 && leader != preferred) {
                if (balance_now && broker_is_live(preferred) &&
                    std::find(isr.begin(), isr.end(), preferred) != isr.end())
                    leader = preferred;
                else
                    imbalanced = true;
            }
            if (isr == p.isr && leader == p.leader) continue;
            PartitionChangeRecord change;
            change.topic_id = topic_id;
            change.partition_id = index;
            if (isr != p.isr) change.isr = isr;
            change.leader = leader == p.leader ? -2 : leader;
            if (!replica_.propose(encode_metadata_record(change), now_ms)) return;
            pending_changes_[{topic_id, index}] = {p.partition_epoch, now_ms};
            if (unclean)  // always said, trace or not: it may have cost acknowledged records
                mb::log::warn(
                    "unclean leader election: {}-{} leader {} -> {}, outside the ISR {} "
                    "(unclean.leader.election.enable=true)",
                    topic.name, index, p.leader, leader, ids_text(p.isr));
            if (trace)
                trace(
                    fmt::format("metadata: PartitionChangeRecord topic={} partition={} isr {} -> {}, leader {} -> {} "
                                "proposed",
                                topic.name, index, ids_text(p.isr), ids_text(isr), p.leader, leader));
        }
    }
    if (imbalanced && balance_due_ms_ < 0) balance_due_ms_ = now_ms + config_.leader_imbalance_check_interval_ms;
}

// AlterPartition: the leader's ISR change, checked against what is committed. The answer says
// what the partition will look like once the change is applied; the leader does not act on it
// (it takes the new ISR from the image like every broker), it only stops resending.
AlterPartitionResponseData Controller::alter_partition(const AlterPartitionRequestData& request, int64_t now_ms) {
    AlterPartitionResponseData response;
    if (!is_active()) {
        response.error = ErrorCode::NotController;
        return response;
    }
    for (const AlterPartitionItem& item : request.partitions) {
        AlterPartitionResult& result = response.partitions.emplace_back();
        result.topic = item.topic;
        result.partition = item.partition;
        Uuid id{};
        const MetadataImage::TopicState* topic = find_topic(item.topic, &id);
        auto p = topic ? topic->partitions.find(item.partition) : decltype(topic->partitions.end()){};
        if (!topic || p == topic->partitions.end()) {
            result.error = ErrorCode::UnknownTopicOrPartition;
            continue;
        }
        const PartitionRecord& r = p->second;
        result.leader_id = r.leader;
        result.leader_epoch = r.leader_epoch;
        result.isr = r.isr;
        result.partition_epoch = r.partition_epoch;
        if (r.leader != request.broker_id || item.leader_epoch != r.leader_epoch) {
            result.error = ErrorCode::FencedLeaderEpoch;  // not (or no longer) the leader
            continue;
        }
        if (item.partition_epoch != r.partition_epoch) {
            result.error = ErrorCode::InvalidUpdateVersion;  // the partition changed since it looked
            continue;
        }
        bool eligible = std::find(item.new_isr.begin(), item.new_isr.end(), r.leader) != item.new_isr.end();
        for (int32_t b : item.new_isr) {
            const bool replica = std::find(r.replicas.begin(), r.replicas.end(), b) != r.replicas.end();
            const bool was_in = std::find(r.isr.begin(), r.isr.end(), b) != r.isr.end();
            if (!replica || (!was_in && !broker_is_live(b))) eligible = false;  // a fenced broker cannot join
        }
        if (!eligible) {
            result.error = ErrorCode::IneligibleReplica;
            continue;
        }
        if (item.new_isr == r.isr) continue;
        PartitionChangeRecord change;
        change.topic_id = id;
        change.partition_id = item.partition;
        change.isr = item.new_isr;
        if (!replica_.propose(encode_metadata_record(change), now_ms)) {
            result.error = ErrorCode::NotController;
            continue;
        }
        pending_changes_[{id, item.partition}] = {r.partition_epoch, now_ms};
        result.isr = item.new_isr;
        result.partition_epoch = r.partition_epoch + 1;
        if (trace)
            trace(fmt::format("metadata: AlterPartition from leader {}: {}-{} ISR {} -> {} proposed", request.broker_id,
                              item.topic, item.partition, ids_text(r.isr), ids_text(item.new_isr)));
    }
    return response;
}

}  // namespace minikafka
