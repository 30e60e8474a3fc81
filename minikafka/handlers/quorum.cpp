// minikafka/handlers/quorum.cpp
//
// CONCEPT: the controller listener's handlers. A peer's Vote, BeginQuorumEpoch, EndQuorumEpoch,
// Fetch (a replica's, v12+) or FetchSnapshot is decoded from Kafka's wire into the Raft library's
// struct, handed to this node's controller, and the replica's answer is encoded back:
//
//   frame ─▶ header ─▶ from_wire_request (core/quorum_wire) ─▶ Controller::handle_request
//                                                                    │ RaftReplica::handle
//   reply ◀─ to_wire_response ◀──────────── the answer from its outbox ┘
//
// One answer may come later: a follower's Fetch to the leader that finds nothing new is held
// there (the long poll, raft/replica.hpp) and the reply is deferred until the replica answers it.
//
// DescribeQuorum is answered from the controller's own view (the leader's is the complete one),
// on both listeners: Kafka's kafka-metadata-quorum.sh asks a broker, which forwards it.
// READ NEXT: core/controller.cpp (what the controller does with them).
#include "protocol/quorum.hpp"
#include "core/controller.hpp"
#include "core/quorum_wire.hpp"
#include "handler_table.hpp"

namespace minikafka {

bool handle_quorum_request(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    std::optional<raft::Message> request = from_wire_request(header.api_key, header.api_version, body);
    if (!request) return false;
    KafkaWriter out = reply.writer();
    if (!broker.controller) {
        // A node without controller.quorum.voters is no voter: say so the Kafka way.
        to_wire_error_response(out, header.api_key, header.api_version,
                               static_cast<int16_t>(ErrorCode::InvalidRequest));
        return true;
    }
    // Answered at once, except a parked Fetch: then `later` writes the answer into this reply and
    // finishes it, and the connection (controller_link.cpp) sends it in its turn. A vote is still
    // granted or not at once, so a slow voter cannot hold another's election hostage.
    auto later = [held = reply.shared_from_this(), key = header.api_key,
                  version = header.api_version](const raft::Message& answer) {
        KafkaWriter late = held->writer();
        to_wire_response(late, key, version, answer);
        held->finish();
    };
    std::optional<raft::Message> answer =
        broker.controller->handle_request(*request, controller_clock_ms(), std::move(later));
    if (answer) {
        to_wire_response(out, header.api_key, header.api_version, *answer);
    } else if (std::holds_alternative<raft::FetchRequest>(*request)) {
        reply.defer();  // parked by the leader: `later` answers it
    } else {
        to_wire_error_response(out, header.api_key, header.api_version,
                               static_cast<int16_t>(ErrorCode::InvalidRequest));
    }
    return true;
}

// DescribeQuorum is how an operator sees the quorum: who leads, in which epoch, and how far each
// voter and observer has replicated (kafka-metadata-quorum.sh describe --status/--replication).
// It names the one partition of __cluster_metadata; anything else is an unknown partition.
bool handle_describe_quorum(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    DescribeQuorumRequestData request;
    if (!decode_describe_quorum_request(body, header.api_version, request)) return false;
    DescribeQuorumResponseData response;
    if (!broker.controller || request.topic != kMetadataTopic || request.partition != 0) {
        response.partition_error = static_cast<int16_t>(ErrorCode::UnknownTopicOrPartition);
    } else {
        response = broker.controller->describe_quorum(controller_clock_ms());
    }
    response.topic = request.topic;
    response.partition = request.partition;
    KafkaWriter out = reply.writer();
    encode_describe_quorum_response(out, header.api_version, response);
    return true;
}

}  // namespace minikafka
