// minikafka/protocol/broker_registration.cpp - BrokerRegistration (62) and BrokerHeartbeat (63),
// v0, field by field as in Kafka's schemas (flexible: compact strings, tagged fields).
//
// CONCEPT: how a broker joins a KRaft cluster and stays in it (broker_registration.hpp), on the
// wire. Kafka's own v0 schemas, not a private format: a packet capture of our controller traffic
// reads like Kafka's, and Kafka's documentation of these fields applies unchanged.
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
// READ NEXT: handlers/broker_registration.cpp, core/broker_lifecycle.cpp.
#include "broker_registration.hpp"

namespace minikafka {

// BrokerRegistration v0:
//   BrokerId INT32 | ClusterId COMPACT_STRING | IncarnationId UUID | Listeners [Name, Host,
//   Port UINT16, SecurityProtocol INT16] | Features [Name, Min, Max] | Rack COMPACT_NULLABLE_STRING
// ClusterId: a broker whose disk was formatted for another cluster gets INCONSISTENT_CLUSTER_ID
// instead of joining it. IncarnationId tells a retried registration from a restart (see
// RegisterBrokerRecord in metadata_records.cpp). Listeners are what Metadata will advertise for
// this broker; Rack is there for rack-aware replica placement (KIP-36). Features (KIP-584) are
// the metadata versions the broker can read - we list none and read past a peer's.
bool decode_broker_registration_request(KafkaReader& in, int16_t, BrokerRegistrationRequestData& out) {
    out.broker_id = in.i32();
    out.cluster_id = std::string(in.compact_string());
    std::string_view id = in.bytes(16);
    if (in.ok()) std::copy(id.begin(), id.end(), out.incarnation_id.begin());
    out.listeners = read_endpoints(in);
    skip_features(in);
    auto rack = in.compact_nullable_string();
    out.rack = rack ? std::optional<std::string>(std::string(*rack)) : std::nullopt;
    in.skip_tagged_fields();
    return in.ok();
}

void encode_broker_registration_request(KafkaWriter& out, int16_t, const BrokerRegistrationRequestData& r) {
    out.i32(r.broker_id);
    out.compact_string(r.cluster_id);
    out.bytes(std::string_view(reinterpret_cast<const char*>(r.incarnation_id.data()), r.incarnation_id.size()));
    out.compact_array_length(r.listeners.size());
    for (const BrokerEndpoint& e : r.listeners) {
        out.compact_string(e.name);
        out.compact_string(e.host);
        out.u16(e.port);
        out.i16(e.security_protocol);
        out.empty_tagged_fields();
    }
    out.compact_array_length(0);  // Features
    out.compact_nullable_string(r.rack ? std::optional<std::string_view>(*r.rack) : std::nullopt);
    out.empty_tagged_fields();
}

// The answer: ThrottleTimeMs | ErrorCode | BrokerEpoch INT64, the offset of the broker's new
// RegisterBrokerRecord. The broker sends it with every heartbeat from now on.
bool decode_broker_registration_response(KafkaReader& in, int16_t, BrokerRegistrationResponseData& out) {
    out.throttle_time_ms = in.i32();
    out.error_code = in.i16();
    out.broker_epoch = in.i64();
    in.skip_tagged_fields();
    return in.ok();
}

void encode_broker_registration_response(KafkaWriter& out, int16_t, const BrokerRegistrationResponseData& r) {
    out.i32(r.throttle_time_ms);
    out.i16(r.error_code);
    out.i64(r.broker_epoch);
    out.empty_tagged_fields();
}

// BrokerHeartbeat v0:
//   request   BrokerId INT32 | BrokerEpoch INT64 | CurrentMetadataOffset INT64 | WantFence BOOLEAN
//             | WantShutDown BOOLEAN
//   response  ThrottleTimeMs | ErrorCode | IsCaughtUp | IsFenced | ShouldShutDown (all BOOLEAN)
// CurrentMetadataOffset is how far the broker has applied the metadata log: once it is past the
// broker's own registration the broker knows at least as much as the record that made it, and may
// be unfenced (IsCaughtUp). WantFence lets a broker that is still loading stay fenced by choice;
// WantShutDown / ShouldShutDown are Kafka's controlled shutdown (the controller moves leadership
// away first), which we carry but do not act on. A heartbeat is also the broker's lease: without
// one for broker.session.timeout.ms the controller fences it (core/broker_lifecycle.cpp).
bool decode_broker_heartbeat_request(KafkaReader& in, int16_t, BrokerHeartbeatRequestData& out) {
    out.broker_id = in.i32();
    out.broker_epoch = in.i64();
    out.current_metadata_offset = in.i64();
    out.want_fence = in.boolean();
    out.want_shut_down = in.boolean();
    in.skip_tagged_fields();
    return in.ok();
}

void encode_broker_heartbeat_request(KafkaWriter& out, int16_t, const BrokerHeartbeatRequestData& r) {
    out.i32(r.broker_id);
    out.i64(r.broker_epoch);
    out.i64(r.current_metadata_offset);
    out.boolean(r.want_fence);
    out.boolean(r.want_shut_down);
    out.empty_tagged_fields();
}

bool decode_broker_heartbeat_response(KafkaReader& in, int16_t, BrokerHeartbeatResponseData& out) {
    out.throttle_time_ms = in.i32();
    out.error_code = in.i16();
    out.is_caught_up = in.boolean();
    out.is_fenced = in.boolean();
    out.should_shut_down = in.boolean();
    in.skip_tagged_fields();
    return in.ok();
}

void encode_broker_heartbeat_response(KafkaWriter& out, int16_t, const BrokerHeartbeatResponseData& r) {
    out.i32(r.throttle_time_ms);
    out.i16(r.error_code);
    out.boolean(r.is_caught_up);
    out.boolean(r.is_fenced);
    out.boolean(r.should_shut_down);
    out.empty_tagged_fields();
}

}  // namespace minikafka
