// minikafka/protocol/broker_registration.hpp
//
// CONCEPT: how a broker joins a KRaft cluster and stays in it - two controller-listener APIs
// (KIP-631), both flexible from v0:
//
//   broker                                   active controller
//     | BrokerRegistration (62) {id, cluster id, incarnation id, listeners} -->
//     |                        <-- {broker epoch = the offset of its RegisterBrokerRecord}
//     | BrokerHeartbeat (63) {id, broker epoch, metadata offset reached} -->   every
//     |                        <-- {caught up?, fenced?}                       broker.heartbeat.interval.ms
//
// A new registration starts FENCED (no partition leadership for it); the first heartbeat that
// shows the broker has caught up with the metadata log unfences it (UnfenceBrokerRecord). A
// broker whose heartbeats stop for broker.session.timeout.ms is fenced again (FenceBrokerRecord).
// The broker epoch tells a restarted broker from its old self: a heartbeat with an older epoch
// gets STALE_BROKER_EPOCH and the broker registers again.
// READ NEXT: core/broker_lifecycle.cpp (both sides of these APIs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "metadata_records.hpp"

namespace minikafka {

inline constexpr int16_t kBrokerRegistrationVersion = 0;
inline constexpr int16_t kBrokerHeartbeatVersion = 0;

// Kafka's error codes for these two APIs, each telling the broker what to do next: NOT_CONTROLLER
// (ask the leader you learn of next), STALE_BROKER_EPOCH (you are an old incarnation: register
// again), INCONSISTENT_CLUSTER_ID (your disk belongs to another cluster: stop).
inline constexpr int16_t kErrorNotController = 41;
inline constexpr int16_t kErrorStaleBrokerEpoch = 77;
inline constexpr int16_t kErrorInconsistentClusterId = 104;

struct BrokerRegistrationRequestData {
    int32_t broker_id = -1;
    std::string cluster_id;
    Uuid incarnation_id{};
    std::vector<BrokerEndpoint> listeners;
    std::optional<std::string> rack;
    bool operator==(const BrokerRegistrationRequestData&) const = default;
};
struct BrokerRegistrationResponseData {
    int32_t throttle_time_ms = 0;
    int16_t error_code = 0;
    int64_t broker_epoch = -1;
    bool operator==(const BrokerRegistrationResponseData&) const = default;
};
struct BrokerHeartbeatRequestData {
    int32_t broker_id = -1;
    int64_t broker_epoch = -1;
    int64_t current_metadata_offset = 0;
    bool want_fence = false;
    bool want_shut_down = false;
    bool operator==(const BrokerHeartbeatRequestData&) const = default;
};
// is_fenced defaults to true, as in Kafka's schema: fenced (lead nothing) is the safe state to
// assume until the controller says otherwise.
struct BrokerHeartbeatResponseData {
    int32_t throttle_time_ms = 0;
    int16_t error_code = 0;
    bool is_caught_up = false;
    bool is_fenced = true;
    bool should_shut_down = false;
    bool operator==(const BrokerHeartbeatResponseData&) const = default;
};

// What a broker asks the active controller, and the answers. One variant each, so both kinds
// travel through one pair of calls (Controller::send_broker, handle_broker_response).
using BrokerRequest = std::variant<BrokerRegistrationRequestData, BrokerHeartbeatRequestData>;
using BrokerResponse = std::variant<BrokerRegistrationResponseData, BrokerHeartbeatResponseData>;

bool decode_broker_registration_request(KafkaReader& in, int16_t version, BrokerRegistrationRequestData& out);
void encode_broker_registration_request(KafkaWriter& out, int16_t version, const BrokerRegistrationRequestData& r);
bool decode_broker_registration_response(KafkaReader& in, int16_t version, BrokerRegistrationResponseData& out);
void encode_broker_registration_response(KafkaWriter& out, int16_t version, const BrokerRegistrationResponseData& r);
bool decode_broker_heartbeat_request(KafkaReader& in, int16_t version, BrokerHeartbeatRequestData& out);
void encode_broker_heartbeat_request(KafkaWriter& out, int16_t version, const BrokerHeartbeatRequestData& r);
bool decode_broker_heartbeat_response(KafkaReader& in, int16_t version, BrokerHeartbeatResponseData& out);
void encode_broker_heartbeat_response(KafkaWriter& out, int16_t version, const BrokerHeartbeatResponseData& r);

}  // namespace minikafka
