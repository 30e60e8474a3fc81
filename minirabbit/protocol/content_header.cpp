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

std::optional<FieldTable> decode_headers(const BasicProperties& properties) {
    if (properties.headers.empty()) return FieldTable{};
    mb::ByteReader in(properties.headers);
    FieldTable table = decode_field_table(in);
    if (!in.ok()) return std::nullopt;
    return table;
}

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
