// minikafka/protocol/request_header.hpp
//
// CONCEPT: framing and the request/response headers - what every Kafka exchange starts with.
//
//   request  = INT32 size | header | body          response = INT32 size | header | body
//   header v1: api_key INT16 | api_version INT16 | correlation_id INT32 | client_id NULLABLE_STRING
//   header v2: the same + TAGGED_FIELDS            (flexible API versions)
//   response header v0: correlation_id INT32;  v1: + TAGGED_FIELDS  (ApiVersions always uses v0,
//   so a client can read the answer before it knows which versions the broker speaks)
//
// The correlation id is how a client matches a response to its request; clients pipeline many
// requests on one connection and expect the responses in the order they sent them.
// The size prefix lets the broker cut frames out of the byte stream; a size above
// socket.request.max.bytes is refused before any memory is set aside for it.
// READ NEXT: request_header.cpp, primitives.hpp (the readers), handlers/handler_table.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

// The four outcomes of looking at buffered bytes. need_more is not an error: TCP delivers a
// request in as many pieces as it likes, and the session simply reads again. too_large and
// malformed close the connection - after a bad size prefix there is no way to find where the
// next request starts, so there is nothing left to answer.
struct Frame {
    enum class Status { need_more, complete, too_large, malformed } status;
    std::string_view bytes;  // the frame without its size prefix (when complete)
    size_t consumed = 0;     // bytes to consume from the input, prefix included
};

// Cuts the next frame from buffered input. `max_bytes` is socket.request.max.bytes.
Frame next_frame(std::string_view input, uint32_t max_bytes);

// Everything a handler needs besides the body. flexible is decided once, here, from the key and
// version (api_keys.cpp), so every codec below can rely on it instead of asking again.
struct RequestHeader {
    ApiKey api_key{};
    int16_t api_version = 0;
    int32_t correlation_id = 0;
    std::optional<std::string_view> client_id;
    bool flexible = false;         // header v2 + flexible body encoding
    std::string_view client_host;  // not on the wire: the session fills in the peer's address
};

// Reads the header; `in` is left at the start of the body.
RequestHeader decode_request_header(KafkaReader& in);

// Writes the response header. ApiVersions answers always use header v0 (see above).
void encode_response_header(KafkaWriter& out, const RequestHeader& request);

}  // namespace minikafka
