// minikafka/protocol/api_versions.hpp
//
// CONCEPT: version negotiation. A client's first request on every connection is ApiVersions;
// the answer lists, for each API the broker speaks, the lowest and highest version it accepts.
// The client then sends every request at the highest version both sides know. That is how
// old clients and new brokers (and new clients and old brokers) talk to each other.
//
//   request v0-v2: empty body.   v3 (flexible): client_software_name, _version (COMPACT_STRING)
//   response: error_code INT16 | [api_key INT16 min INT16 max INT16] | throttle_time_ms (v1+)
//             v3: compact array, a tagged-fields byte per entry and at the end
//
// A client newer than the broker (librdkafka sends v3 first) gets UNSUPPORTED_VERSION with the
// list in the v0 layout - which every client can read - and tries again at a version it finds
// there (KIP-511).
// READ NEXT: api_versions.cpp, handlers/api_versions.cpp, docs/minikafka/api-versions.md.
#pragma once

#include <span>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

struct ApiVersionRange {
    ApiKey key;
    int16_t min_version;
    int16_t max_version;
};

struct ApiVersionsRequest {
    std::string_view client_software_name;  // v3+, e.g. "librdkafka"
    std::string_view client_software_version;
};

ApiVersionsRequest decode_api_versions_request(KafkaReader& in, int16_t version);

// `version` is the one the answer is encoded in (0 for an UNSUPPORTED_VERSION answer).
void encode_api_versions_response(KafkaWriter& out, int16_t version, ErrorCode error,
                                  std::span<const ApiVersionRange> apis);

}  // namespace minikafka
