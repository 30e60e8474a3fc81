// Metadata: brokers, topics and partition leaders (protocol/metadata.hpp). Asking about a topic
// that does not exist creates it when auto.create.topics.enable is on and the client allows it
// (producers do; consumers by default do not) - that is how `kcat -P -t new-topic` just works.
#include "protocol/metadata.hpp"

#include <algorithm>

#include "cluster_admin.hpp"
#include "core/controller.hpp"
#include "core/offsets_topic.hpp"
#include "handler_table.hpp"

namespace minikafka {

namespace {

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

bool handle_metadata(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    MetadataRequest request = decode_metadata_request(body, header.api_version);
    if (!body.ok()) return false;

    MetadataResponse response;
    response.cluster_id = broker.config.cluster_id;
    if (broker.controller) {
        // A KRaft cluster: every registered, unfenced broker from the metadata image, and the
        // active controller (the quorum's leader; -1 during an election).
        for (const auto& [id, state] : broker.controller->image().brokers()) {
            const auto& endpoints = state.registration.endpoints;
            if (state.fenced || endpoints.empty()) continue;
            response.brokers.push_back({id, endpoints.front().host, endpoints.front().port});
        }
        response.controller_id = broker.controller->replica().leader_id();
    } else {
        response.controller_id = broker.config.node_id;  // one broker: it is also the controller
    }
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
