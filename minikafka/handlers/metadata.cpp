// minikafka/handlers/metadata.cpp
//
// CONCEPT: how a client finds its broker. The course notes' "Brokers: servers that form the
// cluster" is made concrete here: a Kafka client connects to any one bootstrap broker, asks
// Metadata, and from then on sends each partition's Produce and Fetch straight to that
// partition's leader. There is no proxy in between, which is what lets Kafka scale by adding
// brokers: the work is spread by the clients themselves.
//
//   client ─Metadata─▶ any broker ─▶ brokers [id, host, port], controller id,
//                                    topics [partition → leader, epoch, replicas, ISR]
//   client ─Produce(orders-0)─▶ the leader of orders-0 (a NOT_LEADER_OR_FOLLOWER answer: ask again)
//
// Asking about a topic that does not exist creates it when auto.create.topics.enable is on and
// the client allows it (producers do; consumers by default do not) - that is how
// `kcat -P -t new-topic` just works. Single-node mode answers from its own LogManager; cluster
// mode answers from the metadata image every broker replays from the controller's log, so any
// broker gives the same answer (docs/minikafka/05-replication-and-the-controller.md).
// READ NEXT: docs/minikafka/01-follow-a-produce-and-fetch.md §1, then handlers/produce.cpp.
#include "protocol/metadata.hpp"

#include <algorithm>

#include "cluster_admin.hpp"
#include "core/controller.hpp"
#include "core/offsets_topic.hpp"
#include "handler_table.hpp"

namespace minikafka {

namespace {

// Single-node mode: every partition is led by this broker. The leader epoch is still sent: clients
// use it to notice stale metadata, and it is what OffsetsForLeaderEpoch answers about.
MetadataTopic describe(const Topic& topic, int32_t node_id) {
    MetadataTopic out;
    out.name = topic.name;
    out.partitions.reserve(topic.partitions.size());
    for (size_t p = 0; p < topic.partitions.size(); ++p)
        out.partitions.push_back(
            {ErrorCode::None, static_cast<int32_t>(p), node_id, topic.partitions[p]->leader_epoch(), {}, {}, {}});
    return out;
}

// Cluster mode: the partition as the metadata image says - leader, epoch, replicas, ISR - and
// which replicas are offline (on a fenced broker). A partition without a live leader answers
// LEADER_NOT_AVAILABLE: the client waits for the controller to elect one.
MetadataTopic describe(const Controller& controller, const MetadataImage::TopicState& topic) {
    MetadataTopic out;
    out.name = topic.name;
    out.is_internal = topic.name == kOffsetsTopic;  // the committed offsets (core/offsets_topic.hpp)
    for (const auto& [index, p] : topic.partitions) {
        MetadataPartition& mp = out.partitions.emplace_back();
        mp.index = index;
        mp.leader = p.leader;
        mp.leader_epoch = p.leader_epoch;
        mp.replicas = p.replicas;
        mp.isr = p.isr;
        for (int32_t r : p.replicas) {
            auto broker = controller.image().brokers().find(r);
            if (broker == controller.image().brokers().end() || broker->second.fenced) mp.offline_replicas.push_back(r);
        }
        if (p.leader < 0) mp.error = ErrorCode::LeaderNotAvailable;
    }
    return out;
}

// Cluster mode. No topic list (null) means "all topics"; an empty list means "none" - the two are
// different on the wire, which is why request.topics is an optional. A missing topic is created by
// the controller, not here: this broker only asks, and answers LEADER_NOT_AVAILABLE so that the
// client retries until the image shows the new topic with its elected leaders.
void cluster_topics(Broker& broker, const MetadataRequest& request, MetadataResponse& response) {
    const Controller& controller = *broker.controller;
    if (!request.topics) {
        for (const auto& [id, topic] : controller.image().topics())
            if (!topic.name.empty()) response.topics.push_back(describe(controller, topic));
        return;
    }
    for (std::string_view name : *request.topics) {
        if (const MetadataImage::TopicState* topic = controller.find_topic(name)) {
            response.topics.push_back(describe(controller, *topic));
            continue;
        }
        MetadataTopic missing;
        missing.name = name;
        missing.error =
            LogManager::valid_topic_name(name) ? ErrorCode::UnknownTopicOrPartition : ErrorCode::InvalidTopicException;
        if (missing.error == ErrorCode::UnknownTopicOrPartition && broker.config.auto_create_topics &&
            request.allow_auto_topic_creation) {
            auto_create_topic(broker, name);  // the controller creates it; the client asks again
            missing.error = ErrorCode::LeaderNotAvailable;
        }
        response.topics.push_back(std::move(missing));
    }
}

}  // namespace

// Clients ask Metadata often: at start, every metadata.max.age.ms (5 minutes by default), and
// after every NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION. So the answer is built from
// memory only - the image or the LogManager - and never touches the disk.
// It is answered at its turn (core/reply.hpp): behind a reply that still waits - an acks=all
// Produce parked until a dead follower is fenced - it runs only when that one is answered, so
// the leaders it names are the ones of the moment it leaves, not of the moment it came. During
// a failover that is the difference between naming the new leader and naming the dead one.
bool handle_metadata(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    if (!reply.at_turn()) {
        reply.postpone();
        return true;
    }
    MetadataRequest request = decode_metadata_request(body, header.api_version);
    if (!body.ok()) return false;

    MetadataResponse response;
    response.cluster_id = broker.config.cluster_id;
    if (broker.controller) {
        // A KRaft cluster: every registered, unfenced broker from the metadata image, and as the
        // "controller" the quorum's leader. Clients send their admin requests (CreateTopics...)
        // to the broker named here, and any broker forwards them (handlers/cluster_admin.cpp).
        // So during an election, or while the leader's own broker is fenced, this broker names
        // itself, as Kafka's KRaft brokers name some live broker: given -1 or a broker it cannot
        // find, librdkafka held a CreateTopics until its own timeout instead of sending it.
        const int32_t leader = broker.controller->replica().leader_id();
        response.controller_id = broker.config.node_id;
        for (const auto& [id, state] : broker.controller->image().brokers()) {
            const auto& endpoints = state.registration.endpoints;
            if (state.fenced || endpoints.empty()) continue;
            response.brokers.push_back({id, endpoints.front().host, endpoints.front().port});
            if (id == leader) response.controller_id = leader;
        }
    } else {
        response.controller_id = broker.config.node_id;  // one broker: it is also the controller
    }
    // This broker is always in the list, even before its own registration reached the image: a
    // client that bootstrapped here must be able to find its way back.
    if (std::none_of(response.brokers.begin(), response.brokers.end(),
                     [&](const MetadataBroker& b) { return b.node_id == broker.config.node_id; }))
        response.brokers.push_back({broker.config.node_id, broker.config.advertised_host, broker.config.port});

    if (broker.controller) {
        cluster_topics(broker, request, response);
    } else if (!request.topics) {
        for (const auto& [name, topic] : broker.logs.topics())
            response.topics.push_back(describe(topic, broker.config.node_id));
    } else {
        for (std::string_view name : *request.topics) {
            const Topic* topic = broker.logs.find(name);
            // Single-node auto-creation is immediate: the topic exists, with its partitions'
            // segment files, before this answer is sent - no retry needed.
            if (!topic && broker.config.auto_create_topics && request.allow_auto_topic_creation &&
                LogManager::valid_topic_name(name)) {
                broker.logs.create_topic(name, broker.config.num_partitions, {}, false, broker.now_ms());
                topic = broker.logs.find(name);
            }
            if (topic) {
                response.topics.push_back(describe(*topic, broker.config.node_id));
            } else {
                MetadataTopic missing;
                missing.name = name;
                missing.error = LogManager::valid_topic_name(name) ? ErrorCode::UnknownTopicOrPartition
                                                                   : ErrorCode::InvalidTopicException;
                response.topics.push_back(std::move(missing));
            }
        }
    }
    KafkaWriter out = reply.writer();
    encode_metadata_response(out, header.api_version, response);
    return true;
}

}  // namespace minikafka
