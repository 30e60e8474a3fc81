// minikafka/protocol/api_versions.cpp
//
// CONCEPT: version negotiation on the wire (api_versions.hpp): the one answer every client reads
// before anything else, so its layout is the most conservative of all - its response header
// never has tagged fields, even at the flexible v3.
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
// READ NEXT: handlers/api_versions.cpp.
#include "api_versions.hpp"

namespace minikafka {

// The request is empty up to v2. v3 (KIP-511) adds the client's software name and version, which
// a broker can log and count - the one way to learn which client libraries connect to it.
ApiVersionsRequest decode_api_versions_request(KafkaReader& in, int16_t version) {
    ApiVersionsRequest request;
    if (version >= 3) {
        request.client_software_name = in.compact_string();
        request.client_software_version = in.compact_string();
        in.skip_tagged_fields();
    }
    return request;
}

// ErrorCode | ApiKeys: [ApiKey INT16, MinVersion INT16, MaxVersion INT16] | ThrottleTimeMs (v1+)
// The error comes first, before anything version-specific, for the KIP-511 handshake: a client
// that opens with a newer ApiVersions than we know gets UNSUPPORTED_VERSION in the v0 layout,
// with our list inside, reads our highest ApiVersions from it and asks again with that
// (handlers/api_versions.cpp). v3's response may also carry feature tags (KIP-584); none here.
void encode_api_versions_response(KafkaWriter& out, int16_t version, ErrorCode error,
                                  std::span<const ApiVersionRange> apis) {
    bool flexible = version >= 3;
    out.i16(static_cast<int16_t>(error));
    if (flexible)
        out.compact_array_length(apis.size());
    else
        out.array_length(apis.size());
    for (const auto& api : apis) {
        out.i16(static_cast<int16_t>(api.key));
        out.i16(api.min_version);
        out.i16(api.max_version);
        if (flexible) out.empty_tagged_fields();
    }
    if (version >= 1) out.i32(0);  // throttle_time_ms: no quotas here
    if (flexible) out.empty_tagged_fields();
}

}  // namespace minikafka
