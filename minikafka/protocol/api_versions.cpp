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

ApiVersionsRequest decode_api_versions_request(KafkaReader& in, int16_t version) {
    ApiVersionsRequest request;
    if (version >= 3) {
        request.client_software_name = in.compact_string();
        request.client_software_version = in.compact_string();
        in.skip_tagged_fields();
    }
    return request;
}

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
