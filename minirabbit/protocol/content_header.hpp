// minirabbit/protocol/content_header.hpp
//
// CONCEPT: the content header frame - what follows basic.publish (and basic.deliver, basic.get-ok,
// basic.return) before the body frames.
//
//   class id u16 (60 = basic) | weight u16 (0) | body size u64 | property flags u16 | properties
//
// The flags say which of the 14 basic properties are present, highest bit first; only those follow,
// in this order:
//   bit 15 content-type shortstr    bit 11 priority octet         bit 7 message-id shortstr
//   bit 14 content-encoding str     bit 10 correlation-id str     bit 6 timestamp u64
//   bit 13 headers table            bit 9  reply-to shortstr      bit 5 type shortstr
//   bit 12 delivery-mode octet      bit 8  expiration shortstr    bit 4 user-id, 3 app-id, 2 cluster-id
//   (delivery-mode 2 = persistent; expiration is a per-message TTL in milliseconds, as text)
//
// The broker keeps a message's property bytes (flags + properties) as they came and sends them out
// verbatim on delivery - no re-encoding on the hot path. Only the few properties the broker acts on
// are decoded, and the headers table only when something needs it (headers exchange, dead-lettering).
//
// READ NEXT: content_header.cpp, core/channel.cpp (a publish's header frame assembled into a
//            Message), docs/minirabbit/02-formats.md (a publish on the wire).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "byte_buffer.hpp"
#include "field_table.hpp"

namespace minirabbit::amqp {

// The property flag bits, highest first in the spec's order. Properties the broker acts on:
//   delivery-mode  2 = persistent: journaled when routed to a durable queue (storage/journal.hpp)
//   priority       which level it joins in a queue declared with x-max-priority (ignored elsewhere)
//   expiration     per-message TTL in ms, as text ("60000"); the earlier of it and the queue's wins
//   headers        routed on by a headers exchange; x-death is added on dead-lettering
//   user-id        must equal the logged-in user (core/channel.cpp make_message)
// All others (content-type, correlation-id, reply-to, ...) are the application's business - RPC
// over AMQP is built from reply-to and correlation-id, and the broker only carries them.
namespace prop {
inline constexpr uint16_t content_type = 1 << 15, content_encoding = 1 << 14, headers = 1 << 13,
                          delivery_mode = 1 << 12, priority = 1 << 11, correlation_id = 1 << 10, reply_to = 1 << 9,
                          expiration = 1 << 8, message_id = 1 << 7, timestamp = 1 << 6, type = 1 << 5, user_id = 1 << 4,
                          app_id = 1 << 3, cluster_id = 1 << 2;
}

// The basic properties, decoded as views into the raw bytes. `headers` is the encoded table (with
// its length prefix); decode it with decode_headers() when it is needed.
struct BasicProperties {
    uint16_t flags = 0;
    std::string_view content_type, content_encoding, headers;
    uint8_t delivery_mode = 0, priority = 0;
    std::string_view correlation_id, reply_to, expiration, message_id;
    uint64_t timestamp = 0;
    std::string_view type, user_id, app_id, cluster_id;

    bool has(uint16_t flag) const { return (flags & flag) != 0; }
    bool persistent() const { return delivery_mode == 2; }
};
std::optional<BasicProperties> decode_properties(std::string_view raw);

// A decoded header frame. body_size is 64 bits in the spec; the channel refuses anything above its
// configured maximum before buffering a byte (core/channel.cpp).
struct ContentHeader {
    uint16_t class_id;
    uint64_t body_size;
    std::string_view raw_properties;  // flags + property values, as they came
    BasicProperties properties;       // the same, decoded (views into raw_properties)
};
std::optional<ContentHeader> decode_content_header(std::string_view payload);
std::optional<FieldTable> decode_headers(const BasicProperties& properties);

// Encodes properties (flags taken from `p.flags`; `headers` written from `headers_table` when given,
// else copied raw). Used when the broker must change a message: dead-lettering adds x-death.
void encode_properties(mb::ByteBuffer& out, const BasicProperties& p, const FieldTable* headers_table = nullptr);

// A whole content header frame.
void write_content_header(mb::ByteBuffer& out, uint16_t channel, uint64_t body_size, std::string_view properties);

}  // namespace minirabbit::amqp
