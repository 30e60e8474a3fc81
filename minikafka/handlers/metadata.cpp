// Metadata: brokers, topics and partition leaders (protocol/metadata.hpp). Asking about a topic
// that does not exist creates it when auto.create.topics.enable is on and the client allows it
// (producers do; consumers by default do not) - that is how `kcat -P -t new-topic` just works.
#include "protocol/metadata.hpp"

#include <algorithm>

#include "core/controller.hpp"
#include "handler_table.hpp"

namespace minikafka {

namespace {

MetadataTopic describe(const Topic& topic, int32_t node_id) {
    MetadataTopic out;
    out.name = topic.name;
    out.partitions.reserve(topic.partitions.size());
    for (size_t p = 0; p < topic.partitions.size(); ++p)
        out.partitions.push_back(
            {ErrorCode::None, static_cast<int32_t>(p), node_id, topic.partitions[p]->leader_epoch()});
    return out;
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

    if (!request.topics) {
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
