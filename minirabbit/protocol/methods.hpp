// minirabbit/protocol/methods.hpp
//
// CONCEPT: AMQP methods - the commands inside method frames. A method frame's payload is
//
//   class id u16 | method id u16 | arguments in the order the spec lists them
//
// with the spec's argument types: octet u8, short u16, long u32, longlong u64, shortstr (u8 length +
// bytes), longstr (u32 length + bytes), table (field_table.hpp), timestamp u64, and bits. Consecutive
// bit arguments share one octet, lowest bit first: queue.declare's passive, durable, exclusive,
// auto-delete, no-wait are bits 0..4 of a single byte.
//
// Incoming methods (client -> broker) are plain structs decoded by one decode() each; their string
// fields are views into the frame, valid while the frame is being handled. Outgoing methods
// (broker -> client) are written straight into the connection's output buffer by MethodWriter, in
// the functions below the structs. Hand-written for the ~45 methods clients use, spec order kept so
// each can be checked against amqp0-9-1.xml line by line. The reserved-1 fields (ticket, etc.) are
// read and ignored, as the spec says.
// READ NEXT: content_header.hpp (what follows basic.publish), handlers/ (who acts on these).
//
// READ NEXT: methods.cpp (decode and MethodWriter), field_table.hpp (the table argument type),
//            handlers/method_table.cpp (which handler gets which method).
#pragma once

#include <cstdint>
#include <string_view>

#include "big_endian.hpp"
#include "byte_buffer.hpp"
#include "constants.hpp"
#include "field_table.hpp"

namespace minirabbit::amqp {

// ByteReader plus AMQP's string and bit types. Like ByteReader it is sticky: check ok() at the end.
class MethodReader : public mb::ByteReader {
public:
    using ByteReader::ByteReader;
    std::string_view shortstr() { return bytes(u8()); }
    std::string_view longstr() { return bytes(u32()); }
    FieldTable table() { return decode_field_table(*this); }
    // Reads the next bit argument; bits share an octet until a non-bit argument comes.
    bool bit();
    void end_bits() { bit_ = 8; }

private:
    uint8_t bits_ = 0;
    int bit_ = 8;  // 8 = the next bit() reads a fresh octet
};

// The structs below hold only what the broker uses; reserved fields are read and dropped by
// decode(). Two flags recur in many of them and are worth understanding once:
//   passive   "check, do not create": declare answers with the current state, or 404 if absent -
//             how a client asks "does this exist?" without the risk of creating it wrongly;
//   no_wait   "do not send the -ok reply": saves a round trip, at a price - an error then arrives
//             later as an asynchronous channel.close, no longer tied to a request the client waits on.
// ---- connection class -------------------------------------------------------------------------
struct ConnectionStartOk {
    FieldTable client_properties;
    std::string_view mechanism;  // "PLAIN" or "AMQPLAIN"
    std::string_view response;   // the credentials, in the mechanism's format
    std::string_view locale;
};
struct ConnectionTuneOk {
    uint16_t channel_max;
    uint32_t frame_max;
    uint16_t heartbeat;  // seconds; 0 = off
};
struct ConnectionOpen {
    std::string_view virtual_host;
};
struct CloseArgs {  // connection.close and channel.close share the same arguments
    uint16_t reply_code;
    std::string_view reply_text;
    uint16_t class_id;
    uint16_t method_id;
};

// ---- channel class ----------------------------------------------------------------------------
struct ChannelFlow {
    bool active;
};

// Topology methods (exchange and queue classes) change the broker's durable state: a durable
// declare, a bind between durable things, or a delete is followed by a rewrite of the definitions
// file (storage/definitions.cpp), so the topology survives a restart.
// ---- exchange class ---------------------------------------------------------------------------
struct ExchangeDeclare {
    std::string_view exchange, type;
    bool passive, durable, auto_delete, internal, no_wait;
    FieldTable arguments;
};
struct ExchangeDelete {
    std::string_view exchange;
    bool if_unused, no_wait;
};
struct ExchangeBind {  // also exchange.unbind
    std::string_view destination, source, routing_key;
    bool no_wait;
    FieldTable arguments;
};

// ---- queue class ------------------------------------------------------------------------------
struct QueueDeclare {
    std::string_view queue;
    bool passive, durable, exclusive, auto_delete, no_wait;
    FieldTable arguments;
};
struct QueueBind {  // also queue.unbind (which has no no-wait bit)
    std::string_view queue, exchange, routing_key;
    bool no_wait;
    FieldTable arguments;
};
struct QueuePurge {
    std::string_view queue;
    bool no_wait;
};
struct QueueDelete {
    std::string_view queue;
    bool if_unused, if_empty, no_wait;
};

// The basic class carries the traffic. Of its methods only publish and ack/nack/reject arrive per
// message, so those are the decoders that must not allocate: their strings are views into the
// frame, used before the frame's bytes are consumed.
// ---- basic class ------------------------------------------------------------------------------
struct BasicQos {
    uint32_t prefetch_size;
    uint16_t prefetch_count;
    bool global;  // RabbitMQ: false = per new consumer, true = shared by the channel's consumers
};
struct BasicConsume {
    std::string_view queue, consumer_tag;
    bool no_local, no_ack, exclusive, no_wait;
    FieldTable arguments;
};
struct BasicCancel {
    std::string_view consumer_tag;
    bool no_wait;
};
struct BasicPublish {
    std::string_view exchange, routing_key;
    bool mandatory, immediate;
};
struct BasicGet {
    std::string_view queue;
    bool no_ack;
};
struct BasicAck {  // also basic.nack (with requeue) and basic.reject (multiple = false)
    uint64_t delivery_tag;
    bool multiple, requeue;
};
struct BasicRecover {
    bool requeue;
};
struct ConfirmSelect {
    bool no_wait;
};

// One decode per struct: reads the arguments of a method whose class and method ids were already
// read. Returns false on a short or malformed payload (the caller replies 502 SYNTAX_ERROR).
bool decode(MethodReader& in, ConnectionStartOk& m);
bool decode(MethodReader& in, ConnectionTuneOk& m);
bool decode(MethodReader& in, ConnectionOpen& m);
bool decode(MethodReader& in, CloseArgs& m);
bool decode(MethodReader& in, ChannelFlow& m);
bool decode(MethodReader& in, ExchangeDeclare& m);
bool decode(MethodReader& in, ExchangeDelete& m);
bool decode(MethodReader& in, ExchangeBind& m);
bool decode(MethodReader& in, QueueDeclare& m);
bool decode(MethodReader& in, QueueBind& m, bool has_no_wait);
bool decode(MethodReader& in, QueuePurge& m);
bool decode(MethodReader& in, QueueDelete& m);
bool decode(MethodReader& in, BasicQos& m);
bool decode(MethodReader& in, BasicConsume& m);
bool decode(MethodReader& in, BasicCancel& m);
bool decode(MethodReader& in, BasicPublish& m);
bool decode(MethodReader& in, BasicGet& m);
bool decode_basic_ack(MethodReader& in, BasicAck& m);
bool decode_basic_nack(MethodReader& in, BasicAck& m);
bool decode_basic_reject(MethodReader& in, BasicAck& m);
bool decode(MethodReader& in, BasicRecover& m);
bool decode(MethodReader& in, ConfirmSelect& m);

// Writes one method frame: MethodWriter(out, channel, basic_deliver).shortstr(tag)....end();
// Why a chained writer instead of one struct + encode() per outgoing method (as for incoming ones)?
// The broker sends ~25 kinds of method, most of them once per request, and basic.deliver once per
// message: writing the arguments straight into the output buffer avoids building a struct only to
// copy it out again, and the chain reads in the spec's argument order, so a reader can check
// "basic.deliver: consumer-tag, delivery-tag, redelivered, exchange, routing-key" at a glance:
//
//   MethodWriter(out, ch, basic_deliver).shortstr(tag).longlong(delivery_tag)
//       .bits({redelivered}).shortstr(exchange).shortstr(routing_key).end();
class MethodWriter {
public:
    MethodWriter(mb::ByteBuffer& out, uint16_t channel, Method method);
    MethodWriter& octet(uint8_t v);
    MethodWriter& short_(uint16_t v);
    MethodWriter& long_(uint32_t v);
    MethodWriter& longlong(uint64_t v);
    MethodWriter& shortstr(std::string_view s);  // longer than 255 bytes is cut at 255
    MethodWriter& longstr(std::string_view s);
    MethodWriter& table(const FieldTable& t);
    MethodWriter& bits(std::initializer_list<bool> flags);  // packed into one octet, first = bit 0
    void end();

private:
    mb::ByteBuffer& out_;
    size_t size_at_;
};

// A method with no arguments (channel.open-ok has one empty longstr; those are spelled out).
void write_empty_method(mb::ByteBuffer& out, uint16_t channel, Method method);
void write_close(mb::ByteBuffer& out, uint16_t channel, uint16_t reply_code, std::string_view reply_text,
                 uint32_t failing_method);  // connection.close on channel 0, else channel.close

}  // namespace minirabbit::amqp
