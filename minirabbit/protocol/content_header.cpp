// minirabbit/protocol/content_header.cpp
//
// Content header frames and basic properties (see content_header.hpp for the layout).
//
// CONCEPT: message metadata kept as bytes. The broker needs only a few properties to do its job -
// delivery-mode (persistent or not: does it go to the journal?), expiration (a per-message TTL),
// priority, and the headers for a headers exchange - so it decodes those and keeps the property
// bytes themselves unchanged. On delivery the same bytes go out again: nothing is re-encoded, and
// a property the broker ignores (content-type, correlation-id, reply-to...) reaches the consumer
// exactly as the publisher wrote it.
//
//   header frame ──▶ decode: body size, flags, delivery-mode, expiration ...
//                └─▶ raw property bytes kept in Message ──▶ copied into basic.deliver's header frame
// READ NEXT: model/message.hpp (what is kept), frame.cpp.
#include "content_header.hpp"

#include "frame.hpp"
#include "methods.hpp"

namespace minirabbit::amqp {

// The header frame of a publish: its body size tells the channel how many body bytes to collect
// before the message is complete (core/channel.cpp). raw_properties keeps the property bytes
// exactly as they came - they go out again unchanged on basic.deliver.
std::optional<ContentHeader> decode_content_header(std::string_view payload) {
    mb::ByteReader in(payload);
    ContentHeader header;
    header.class_id = in.u16();
    in.u16();  // weight, unused
    header.body_size = in.u64();
    if (!in.ok()) return std::nullopt;
    header.raw_properties = in.rest();
    auto properties = decode_properties(header.raw_properties);
    if (!properties) return std::nullopt;
    header.properties = *properties;
    return header;
}

// Reads only the properties whose flag bit is set, in the fixed order of the spec. Strings stay
// views into the raw bytes; the headers table is *not* decoded here, only located (its 4-byte
// length says how far to skip): most messages are routed without anyone looking at their headers,
// so decoding them eagerly would cost every publish for the benefit of a few. decode_headers()
// does it on demand - for a headers exchange, or to add x-death.
// A property list that is not consumed exactly (bytes left over, or too few) is refused: the flags
// and the bytes disagree, and a broker that guessed would deliver garbage properties.
std::optional<BasicProperties> decode_properties(std::string_view raw) {
    MethodReader in(raw);
    BasicProperties p;
    p.flags = in.u16();
    if (p.flags & 1) return std::nullopt;  // a continuation word: basic has only 14 properties
    if (p.has(prop::content_type)) p.content_type = in.shortstr();
    if (p.has(prop::content_encoding)) p.content_encoding = in.shortstr();
    if (p.has(prop::headers)) {
        size_t start = in.position();
        uint32_t length = in.u32();
        in.skip(length);
        p.headers = raw.substr(start, 4 + size_t{length});
    }
    if (p.has(prop::delivery_mode)) p.delivery_mode = in.u8();
    if (p.has(prop::priority)) p.priority = in.u8();
    if (p.has(prop::correlation_id)) p.correlation_id = in.shortstr();
    if (p.has(prop::reply_to)) p.reply_to = in.shortstr();
    if (p.has(prop::expiration)) p.expiration = in.shortstr();
    if (p.has(prop::message_id)) p.message_id = in.shortstr();
    if (p.has(prop::timestamp)) p.timestamp = in.u64();
    if (p.has(prop::type)) p.type = in.shortstr();
    if (p.has(prop::user_id)) p.user_id = in.shortstr();
    if (p.has(prop::app_id)) p.app_id = in.shortstr();
    if (p.has(prop::cluster_id)) p.cluster_id = in.shortstr();
    if (!in.ok() || !in.at_end()) return std::nullopt;
    return p;
}

// The headers table, decoded when someone needs it (see above).
std::optional<FieldTable> decode_headers(const BasicProperties& properties) {
    if (properties.headers.empty()) return FieldTable{};
    mb::ByteReader in(properties.headers);
    FieldTable table = decode_field_table(in);
    if (!in.ok()) return std::nullopt;
    return table;
}

// The inverse of decode_properties, used when the broker must *change* a message's properties -
// dead-lettering adds an x-death header, so the headers are re-encoded from `headers_table`, while
// every other property is written back as it was.
void encode_properties(mb::ByteBuffer& out, const BasicProperties& p, const FieldTable* headers_table) {
    mb::ByteWriter w(out);
    auto shortstr = [&](std::string_view s) {
        s = s.substr(0, 255);
        w.u8(static_cast<uint8_t>(s.size()));
        w.bytes(s);
    };
    w.u16(p.flags);
    if (p.has(prop::content_type)) shortstr(p.content_type);
    if (p.has(prop::content_encoding)) shortstr(p.content_encoding);
    if (p.has(prop::headers)) {
        if (headers_table)
            encode_field_table(w, *headers_table);
        else
            w.bytes(p.headers);
    }
    if (p.has(prop::delivery_mode)) w.u8(p.delivery_mode);
    if (p.has(prop::priority)) w.u8(p.priority);
    if (p.has(prop::correlation_id)) shortstr(p.correlation_id);
    if (p.has(prop::reply_to)) shortstr(p.reply_to);
    if (p.has(prop::expiration)) shortstr(p.expiration);
    if (p.has(prop::message_id)) shortstr(p.message_id);
    if (p.has(prop::timestamp)) w.u64(p.timestamp);
    if (p.has(prop::type)) shortstr(p.type);
    if (p.has(prop::user_id)) shortstr(p.user_id);
    if (p.has(prop::app_id)) shortstr(p.app_id);
    if (p.has(prop::cluster_id)) shortstr(p.cluster_id);
}

// The header frame of a delivery: class 60 (basic), weight 0 (unused since 0-8), the body size,
// then the property bytes - usually the publisher's own, copied.
void write_content_header(mb::ByteBuffer& out, uint16_t channel, uint64_t body_size, std::string_view properties) {
    size_t size_at = begin_frame(out, FrameType::header, channel);
    mb::ByteWriter w(out);
    w.u16(60);  // class basic
    w.u16(0);   // weight
    w.u64(body_size);
    w.bytes(properties);
    end_frame(out, size_at);
}

}  // namespace minirabbit::amqp
