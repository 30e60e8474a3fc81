// minikafka/handlers/api_versions.cpp
//
// CONCEPT: version negotiation. Every Kafka API has numbered versions; a client's first request
// on a connection is ApiVersions, and from the answer it picks, per API, the highest version both
// sides speak. This is how Kafka lets old clients and new brokers (and the reverse) coexist, and
// it is why minikafka can implement a handful of versions instead of all of them.
//
//   client ─ApiVersions vN─▶ [Produce 3-8, Fetch 4-11, ...] ─▶ client uses min(its max, our max)
//
// The list is handler_table.cpp's table itself, so we advertise exactly what we implement.
// READ NEXT: handlers/handler_table.cpp, docs/minikafka/api-versions.md.
#include "handler_table.hpp"

namespace minikafka {

bool handle_api_versions(Broker&, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    // Our own line in the table: the ApiVersions versions we speak (never null - it is listed).
    const ApiHandler* self = nullptr;
    for (const ApiHandler& api : api_handlers())
        if (api.key == ApiKey::ApiVersions) self = &api;
    KafkaWriter out = reply.writer();
    if (header.api_version > self->max_version) {
        // A newer client: answer in the v0 layout every client can read, with our list in it.
        // The body of an unknown version cannot be decoded, and needs not be.
        encode_api_versions_response(out, 0, ErrorCode::UnsupportedVersion, supported_api_versions());
        return true;
    }
    // v3 carries the client's software name and version (KIP-511); Kafka keeps them for its
    // metrics. We only check that the request parses - the answer does not depend on them.
    decode_api_versions_request(body, header.api_version);
    if (!body.ok()) return false;
    encode_api_versions_response(out, header.api_version, ErrorCode::None, supported_api_versions());
    return true;
}

// The controller listener answers with its own, shorter list (Kafka's controller does the same).
// A peer sees only what it may call there - the Raft, lifecycle and forwarding APIs - so a
// client that connects to the wrong port learns at once that it cannot produce there.
bool handle_controller_api_versions(Broker&, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    KafkaWriter out = reply.writer();
    if (header.api_version > 3) {
        encode_api_versions_response(out, 0, ErrorCode::UnsupportedVersion, controller_api_versions());
        return true;
    }
    decode_api_versions_request(body, header.api_version);
    if (!body.ok()) return false;
    encode_api_versions_response(out, header.api_version, ErrorCode::None, controller_api_versions());
    return true;
}

}  // namespace minikafka
