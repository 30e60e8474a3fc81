// minikafka/protocol/request_header.cpp
//
// CONCEPT: framing and headers (see request_header.hpp for the byte layout) - the first thing
// decoded from every frame. TCP is a byte stream; the INT32 size prefix is what turns it into
// requests, and checking that size before buffering is what keeps a hostile client from making
// the broker allocate (socket.request.max.bytes).
//
//   bytes ─next_frame─▶ need_more | malformed | too_large | complete(frame)
//   frame ─decode_request_header─▶ api_key, api_version, correlation_id, client_id ─▶ dispatch
//
// READ NEXT: handlers/handler_table.cpp (dispatch), primitives.hpp (the reader).
#include "request_header.hpp"

namespace minikafka {

Frame next_frame(std::string_view input, uint32_t max_bytes) {
    if (input.size() < 4) return {Frame::Status::need_more, {}, 0};
    int32_t size = mb::load_big_endian<int32_t>(input.data());
    // The smallest header is 8 bytes (key, version, correlation id) + 2 (client id length).
    if (size < 10) return {Frame::Status::malformed, {}, 0};
    if (static_cast<uint32_t>(size) > max_bytes) return {Frame::Status::too_large, {}, 0};
    if (input.size() - 4 < static_cast<size_t>(size)) return {Frame::Status::need_more, {}, 0};
    return {Frame::Status::complete, input.substr(4, static_cast<size_t>(size)), 4 + static_cast<size_t>(size)};
}

// Request header v1: ApiKey INT16 | ApiVersion INT16 | CorrelationId INT32 | ClientId
// NULLABLE_STRING; v2 (the flexible versions) adds a tagged-field section. The correlation id is
// the client's: we echo it, and it matches answers to requests - a client keeps several requests
// in flight on one connection, and Kafka answers them in order. The client id names the client in
// logs and quotas.
RequestHeader decode_request_header(KafkaReader& in) {
    RequestHeader header;
    header.api_key = static_cast<ApiKey>(in.i16());
    header.api_version = in.i16();
    header.correlation_id = in.i32();
    // The client id keeps its old INT16 length even in header v2, so that any broker can read
    // the header of an ApiVersions request of a version it does not know yet.
    header.client_id = in.nullable_string();
    header.flexible = header.api_version >= first_flexible_version(header.api_key);
    if (header.flexible) in.skip_tagged_fields();
    return header;
}

// Response header v0 is the correlation id alone; v1 adds tagged fields, for flexible versions -
// except ApiVersions, whose answer a client must be able to read before it knows what the broker
// speaks, so it keeps v0 at every version (KIP-511).
void encode_response_header(KafkaWriter& out, const RequestHeader& request) {
    out.i32(request.correlation_id);
    if (request.flexible && request.api_key != ApiKey::ApiVersions) out.empty_tagged_fields();
}

}  // namespace minikafka
