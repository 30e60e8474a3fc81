// minikafka/handlers/admin.cpp
//
// CONCEPT: topics are created, grown and configured through the protocol itself. The course
// notes' "Topics: streams of records categorized for organization" are not files an operator
// makes by hand: kafka-topics.sh and every admin client send CreateTopics, CreatePartitions,
// DescribeConfigs and AlterConfigs to a broker. A topic's partition count is its unit of
// parallelism (each partition is one ordered log), and its configs (retention.ms,
// segment.bytes, cleanup.policy...) are per-topic overrides of the broker's defaults.
//
//   single node: CreateTopics ─▶ LogManager::begin_topic ─▶ build_topics_in_turns ─▶ directories
//                + first segments, a few ms of them per event-loop turn (core/topic_creation.hpp);
//                CreatePartitions ─▶ begin_partitions ─▶ grow_topics_in_turns, the same way
//   cluster:     CreateTopics ─▶ cluster_admin (the controller decides) ─▶ every broker's image
//
// The admin APIs: CreateTopics, DeleteTopics, CreatePartitions (protocol/admin.hpp); the config
// APIs are in configs.cpp. Topics are created and deleted by the LogManager; these handlers check
// what only makes sense with several brokers (replication factor, replica assignment): one
// broker can hold one replica, on itself. InitProducerId lives here too: it is a broker-wide id
// allocator, not a data path.
// READ NEXT: storage/log_manager.hpp (what a topic is on disk), configs.cpp (a topic's configs),
//            handlers/cluster_admin.cpp (the same requests in a cluster).
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>

#include "cluster_admin.hpp"
#include "core/controller.hpp"
#include "core/replica_manager.hpp"
#include "core/topic_creation.hpp"
#include "handler_table.hpp"
#include "protocol/admin.hpp"

namespace minikafka {

namespace {

// A replica assignment is acceptable when it places each partition on this broker alone.
bool assignment_is_ours(const std::vector<std::vector<int32_t>>& assignments, int32_t node_id) {
    for (const auto& replicas : assignments)
        if (replicas.size() != 1 || replicas[0] != node_id) return false;
    return true;
}

// The last step of CreateTopics and CreatePartitions, once the last slice is made: each accepted
// topic's result from the LogManager, then the whole answer. The request's other results (a bad
// name, a topic named twice) were settled before the first slice.
std::function<void(std::vector<LogManager::Result>)> answer_when_made(
    Reply& reply, int16_t version, std::vector<TopicResult> results, std::vector<size_t> accepted,
    void (*encode)(KafkaWriter&, int16_t, const std::vector<TopicResult>&)) {
    return [later = reply.defer(), version, results = std::move(results), accepted = std::move(accepted),
            encode](std::vector<LogManager::Result> made) mutable {
        for (size_t i = 0; i < accepted.size(); ++i) {
            results[accepted[i]].error = made[i].error;
            results[accepted[i]].message = std::move(made[i].message);
        }
        KafkaWriter out = later->writer();
        encode(out, version, results);
        later->finish();
    };
}

}  // namespace

// CreateTopics. `undecoded` keeps the body as it came, for the cluster path: a broker that is not
// the active controller forwards the request, and re-encodes it only if the client's version
// differs from the forwarding one (cluster_admin.cpp).
bool handle_create_topics(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    KafkaReader undecoded = body;
    CreateTopicsRequest request = decode_create_topics_request(body, header.api_version);
    if (!body.ok()) return false;
    if (broker.controller) {  // a cluster: the controller decides (cluster_admin.cpp)
        std::vector<std::string> names;
        std::vector<int32_t> partitions;
        for (const CreatableTopic& topic : request.topics) {
            names.push_back(topic.name);
            partitions.push_back(request.validate_only ? -1 : created_partitions(topic, broker.config.num_partitions));
        }
        return cluster_admin(broker, header, undecoded, reply, names, partitions);
    }
    // Single node. Every check below answers per topic, so one bad topic in a request does not
    // fail the rest - Kafka's CreateTopics semantics. validate_only (an admin client's
    // validateOnly option) runs every check and stops short of creating.
    // A name given twice is ambiguous (which partition count?): Kafka refuses every entry of it.
    std::map<std::string_view, int> mentions;
    for (const CreatableTopic& topic : request.topics) ++mentions[topic.name];
    std::vector<TopicResult> results;
    std::vector<size_t> accepted;  // results whose partitions are still to be made
    for (const CreatableTopic& topic : request.topics) {
        TopicResult& result = results.emplace_back();
        result.name = topic.name;
        if (mentions[topic.name] > 1) {
            result.error = ErrorCode::InvalidRequest;
            result.message = fmt::format("the request names topic '{}' more than once", topic.name);
            continue;
        }
        int32_t partitions = topic.num_partitions;
        // An explicit replica assignment fixes the partition count too (one entry per partition);
        // without one, -1 asks for the broker's num.partitions (KIP-464).
        if (!topic.assignments.empty()) {
            if (!assignment_is_ours(topic.assignments, broker.config.node_id)) {
                result.error = ErrorCode::InvalidReplicaAssignment;
                result.message = fmt::format("this cluster has one broker, id {}", broker.config.node_id);
                continue;
            }
            partitions = static_cast<int32_t>(topic.assignments.size());
        }
        if (partitions == -1) partitions = broker.config.num_partitions;
        // -1 means "the broker's default" (KIP-464); anything but 1 asks for copies on other
        // brokers, which a single node cannot give - the same error Kafka gives when a factor
        // exceeds the live brokers.
        if (topic.replication_factor != -1 && topic.replication_factor != 1) {
            result.error = ErrorCode::InvalidReplicationFactor;
            result.message =
                fmt::format("replication factor {} is larger than the number of brokers (1)", topic.replication_factor);
            continue;
        }
        // The LogManager checks the rest (name, count, configs) and reserves the name.
        auto checked = broker.logs.begin_topic(topic.name, partitions, topic.configs, request.validate_only);
        result.error = checked.error;
        result.message = checked.message;
        if (checked.error == ErrorCode::None && !request.validate_only) accepted.push_back(results.size() - 1);
    }
    // The directories and files, a slice per event-loop turn (core/topic_creation.hpp): 10,000
    // partitions in one go would stop every other client meanwhile. The answer waits for the last.
    std::vector<std::string> names;
    for (size_t i : accepted) names.push_back(results[i].name);
    build_topics_in_turns(broker, std::move(names),
                          answer_when_made(reply, header.api_version, std::move(results), std::move(accepted),
                                           encode_create_topics_response));
    return true;
}

// DeleteTopics: the records are gone for good, and there is no undo. Kafka can forbid it
// (delete.topic.enable=false); minikafka accepts that property without acting on it
// (server_properties.cpp), so deletion is always allowed.
bool handle_delete_topics(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    KafkaReader undecoded = body;
    std::vector<std::string> names = decode_delete_topics_request(body, header.api_version);
    if (!body.ok()) return false;
    if (broker.controller) return cluster_admin(broker, header, undecoded, reply, names, {});
    std::vector<TopicResult> results;
    std::vector<std::string> removed;
    bool tombstones = false;
    for (const std::string& name : names) {
        results.push_back({name, broker.logs.delete_topic(name, removed).error, {}});
        if (results.back().error != ErrorCode::None) continue;
        // Its committed offsets go too: a topic created again under this name starts afresh.
        for (auto& [group, partition] : broker.groups.forget_topic(name)) {
            broker.offset_store.append({group, name, partition, {-1, -1, "", broker.now_ms()}});
            tombstones = true;
        }
    }
    // Deleting files is slow (a big topic has many segments); the background worker does it, so
    // the event loop keeps serving other clients. The topic is already gone from the LogManager.
    if (!removed.empty()) broker.services.background->remove(std::move(removed));
    if (tombstones) broker.services.background->sync({broker.offset_store.file()}, [] {});
    KafkaWriter out = reply.writer();
    encode_delete_topics_response(out, header.api_version, results);
    return true;
}

// CreatePartitions: `count` is the new total, and it may only grow (LogManager refuses a smaller
// or equal one, INVALID_PARTITIONS). Removing a partition would delete its records; and even
// adding one changes which partition a key hashes to, so records with one key may land in two
// partitions from then on - Kafka warns about this, and so does docs/minikafka/04.
bool handle_create_partitions(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    KafkaReader undecoded = body;
    CreatePartitionsRequest request = decode_create_partitions_request(body, header.api_version);
    if (!body.ok()) return false;
    if (broker.controller) {
        std::vector<std::string> names;
        std::vector<int32_t> partitions;
        for (const CreatePartitionsTopic& topic : request.topics) {
            names.push_back(topic.name);
            partitions.push_back(request.validate_only ? -1 : topic.count);
        }
        return cluster_admin(broker, header, undecoded, reply, names, partitions);
    }
    std::vector<TopicResult> results;
    std::vector<size_t> accepted;  // results whose new partitions are still to be made
    // Single node: each topic on its own, as CreateTopics - one refused topic fails only itself.
    std::map<std::string_view, int> mentions;
    for (const CreatePartitionsTopic& topic : request.topics) ++mentions[topic.name];
    for (const CreatePartitionsTopic& topic : request.topics) {
        TopicResult& result = results.emplace_back();
        result.name = topic.name;
        if (mentions[topic.name] > 1) {
            result.error = ErrorCode::InvalidRequest;
            result.message = fmt::format("the request names topic '{}' more than once", topic.name);
            continue;
        }
        if (topic.assignments && !assignment_is_ours(*topic.assignments, broker.config.node_id)) {
            result.error = ErrorCode::InvalidReplicaAssignment;
            result.message = fmt::format("this cluster has one broker, id {}", broker.config.node_id);
            continue;
        }
        auto checked = broker.logs.begin_partitions(topic.name, topic.count, request.validate_only);
        result.error = checked.error;
        result.message = checked.message;
        if (checked.error == ErrorCode::None && !request.validate_only) accepted.push_back(results.size() - 1);
    }
    // The new partitions, a slice per event-loop turn, as CreateTopics (core/topic_creation.hpp):
    // thousands of new partitions in one go would stop every other client meanwhile.
    std::vector<std::string> names;
    for (size_t i : accepted) names.push_back(results[i].name);
    grow_topics_in_turns(broker, std::move(names),
                         answer_when_made(reply, header.api_version, std::move(results), std::move(accepted),
                                          encode_create_partitions_response));
    return true;
}

bool handle_init_producer_id(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    InitProducerIdRequest request = decode_init_producer_id_request(body, header.api_version);
    if (!body.ok()) return false;
    KafkaWriter out = reply.writer();
    if (request.transactional_id) {
        // Transactions need a transaction coordinator, which minikafka does not have.
        encode_init_producer_id_response(out, header.api_version, ErrorCode::TransactionalIdAuthorizationFailed, -1,
                                         -1);
        return true;
    }
    // An idempotent producer (enable.idempotence, librdkafka's and the Java client's default
    // nowadays) needs a producer id so the broker can drop its retried duplicates by sequence
    // number (model/producer_state.hpp). Epoch 0: without transactions nothing fences it.
    encode_init_producer_id_response(out, header.api_version, ErrorCode::None, broker.next_producer_id(), 0);
    return true;
}

}  // namespace minikafka
