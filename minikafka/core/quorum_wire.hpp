// minikafka/core/quorum_wire.hpp
//
// CONCEPT: the seam between the Raft library and Kafka's wire. raft/ speaks in plain structs
// (raft::VoteRequest, raft::FetchResponse, ...); protocol/quorum.hpp speaks Kafka's schemas. This
// file translates, in both directions, so that neither has to know the other:
//
//   outbound (controller_link.cpp):  raft::Message ──to_wire_request──▶ {api key, version, body}
//                                    response body ──from_wire_response──▶ raft::Message
//   inbound (handlers/quorum.cpp):   request body ──from_wire_request──▶ raft::Message
//                                    raft::Message ──to_wire_response──▶ response body
//
// The log entries in a Fetch response travel as record batches (one per entry, the entry's epoch
// in PartitionLeaderEpoch, LeaderChange as a control record), as Kafka's metadata log does.
// READ NEXT: controller.hpp.
#pragma once

#include <optional>
#include <string>

#include "protocol/api_keys.hpp"
#include "protocol/broker_registration.hpp"
#include "protocol/primitives.hpp"
#include "raft/messages.hpp"

namespace minikafka {

// The version each request goes out with (Fetch: v13, the first with topic ids; KRaft in Kafka
// 3.x sends the newest it has).
struct WireRequest {
    ApiKey key{};
    int16_t version = 0;
    std::string body;
};
WireRequest to_wire_request(const raft::Message& request, const std::string& cluster_id);
// `raft_correlation_id`: the raft FetchRequest's own id, put back into the FetchResponse.
std::optional<raft::Message> from_wire_response(ApiKey key, int16_t version, KafkaReader& body,
                                                int32_t raft_correlation_id);

// This node's broker asking the active controller (BrokerRegistration / BrokerHeartbeat).
WireRequest to_wire_request(const BrokerRequest& request);
std::optional<BrokerResponse> broker_response_from_wire(ApiKey key, int16_t version, KafkaReader& body);

// Inbound: nullopt when the body does not decode (the session closes the connection).
std::optional<raft::Message> from_wire_request(ApiKey key, int16_t version, KafkaReader& body);
void to_wire_response(KafkaWriter& out, ApiKey key, int16_t version, const raft::Message& response);
// The answer when the replica gave none (it cannot happen today; a wire peer still gets a reply).
void to_wire_error_response(KafkaWriter& out, ApiKey key, int16_t version, int16_t error);

// Who sent a request (its candidate, leader or replica id): the envelope's `from`.
int32_t sender_of(const raft::Message& request);
bool is_request(const raft::Message& message);

// A whole request frame (size, header v1/v2, body) for a request this node sends: to another
// voter (controller_link.cpp) or, as a follower, to a partition's leader (replica_fetcher_link.cpp).
std::string encode_request_frame(const WireRequest& request, int32_t correlation_id, std::string_view client_id);

}  // namespace minikafka
