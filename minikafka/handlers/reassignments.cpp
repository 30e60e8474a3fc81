// minikafka/handlers/reassignments.cpp
//
// CONCEPT: AlterPartitionReassignments (45) and ListPartitionReassignments (46) from a client of
// any broker. A reassignment is the controller's decision (core/reassignment.hpp): a broker that
// is not the active controller forwards the request as it came, on its controller link, and
// relays the answer. Listing needs no forwarding - every broker's metadata image holds the
// reassignments in progress. Single-node mode has one broker: nothing can move.
// READ NEXT: core/reassignment.cpp.
#include <fmt/format.h>

#include "cluster_admin.hpp"
#include "core/controller.hpp"
#include "handler_table.hpp"
#include "protocol/reassignments.hpp"

namespace minikafka {

bool handle_alter_partition_reassignments(Broker& broker, const RequestHeader& header, KafkaReader& body,
                                          Reply& reply) {
    KafkaReader undecoded = body;
    AlterReassignmentsRequest request = decode_alter_reassignments_request(body, header.api_version);
    // Decoded even when it is then forwarded as is: a request that does not decode is refused
    // here, by the broker the client talks to, never passed on to the controller.
    if (!body.ok()) return false;
    // Single-node mode: the only possible target is this broker alone, which is where every
    // replica already is - accepted as a no-op; anything else cannot be satisfied.
    if (!broker.controller) {
        AlterReassignmentsResponse response;
        for (const ReassignTopic& topic : request.topics) {
            ReassignTopicResult& t = response.topics.emplace_back();
            t.name = topic.name;
            for (const ReassignPartition& p : topic.partitions) {
                const bool same = p.replicas && *p.replicas == std::vector<int32_t>{broker.config.node_id};
                t.partitions.push_back(
                    {p.partition, same ? ErrorCode::None : ErrorCode::InvalidReplicaAssignment,
                     same ? "" : fmt::format("this cluster has one broker, id {}", broker.config.node_id)});
            }
        }
        KafkaWriter out = reply.writer();
        encode_alter_reassignments_response(out, header.api_version, response);
        return true;
    }
    if (broker.controller->is_active()) {
        KafkaWriter out = reply.writer();
        encode_alter_reassignments_response(out, header.api_version,
                                            broker.controller->alter_reassignments(request, controller_clock_ms()));
        return true;
    }
    // Forwarded as the client sent it: unlike CreateTopics (cluster_admin.cpp) there is no image
    // state to wait for here - the answer says the move was accepted (it completes once the new
    // replicas have caught up); progress is read with ListPartitionReassignments.
    forward_as_is(broker, header, undecoded, reply, [version = header.api_version](KafkaWriter& out) {
        AlterReassignmentsResponse unreachable;
        unreachable.error = ErrorCode::NotController;
        unreachable.message = "no active controller reachable; retry";
        encode_alter_reassignments_response(out, version, unreachable);
    });
    return true;
}

// The CONTROLLER listener's side: forwarded by another broker.
// Returning false (closing the link) when this node has no controller: only a controller's
// listener receives forwarded requests, so anything else is a broken peer, not a client to help.
bool handle_forwarded_reassignments(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    AlterReassignmentsRequest request = decode_alter_reassignments_request(body, header.api_version);
    if (!body.ok() || !broker.controller) return false;
    KafkaWriter out = reply.writer();
    encode_alter_reassignments_response(out, header.api_version,
                                        broker.controller->alter_reassignments(request, controller_clock_ms()));
    return true;
}

// Single-node mode answers an empty list: with one broker nothing is ever being moved.
bool handle_list_partition_reassignments(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    ListReassignmentsRequest request = decode_list_reassignments_request(body, header.api_version);
    if (!body.ok()) return false;
    ListReassignmentsResponse response;
    if (broker.controller) response = broker.controller->list_reassignments(request);
    KafkaWriter out = reply.writer();
    encode_list_reassignments_response(out, header.api_version, response);
    return true;
}

}  // namespace minikafka
