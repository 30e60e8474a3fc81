// minirabbit/protocol/methods.cpp
//
// Method argument decoding and the MethodWriter (see methods.hpp). Each decode() lists the
// arguments in the spec's order; `in.end_bits()` marks where a run of bits ends.
//
// CONCEPT: see methods.hpp - decoding requests and encoding replies for AMQP's methods. Two rules
// every decode() here follows, and why:
//   - every read is bounds-checked by the reader (common/big_endian.hpp): a method frame that ends
//     early turns the reader "not ok", decode() returns false, and the handler answers 502
//     SYNTAX_ERROR ("malformed queue.declare") instead of reading past the frame;
//   - strings stay views into the frame: a publish's exchange name and routing key are never
//     copied unless the model keeps them (a queue name on declare), so the hot path allocates nothing.
//
//   payload 0028 000a | 0000 | 05 "tasks" | 00 ...   ──▶ QueueDeclare{queue "tasks", flags from one octet}
// READ NEXT: field_table.cpp, content_header.cpp, handlers/queue_class.cpp (a decode in use).
#include "methods.hpp"

#include <algorithm>

#include "frame.hpp"

namespace minirabbit::amqp {

// Bits are packed: the first bit argument reads a fresh octet, the next ones take the following
// bits of it, and any non-bit argument (or end_bits()) ends the run. A spec detail that is easy
// to get wrong - queue.declare's five flags are one byte, not five.
bool MethodReader::bit() {
    if (bit_ == 8) {
        bits_ = u8();
        bit_ = 0;
    }
    return (bits_ >> bit_++) & 1;
}

// ---- reading: one decode() per method a client sends, fields in the spec's order ------------
// The spec's section numbers (amqp0-9-1.pdf, "Class and Method Details") are the best companion
// for this part: each function below is one table of that document, read top to bottom.
//
// connection.start-ok: who the client is (client_properties: product, version, capabilities such
// as publisher_confirms or authentication_failure_close), how it logs in (mechanism, response), and
// its locale. The capabilities tell the broker what the client understands: one that announced
// authentication_failure_close gets a 403 connection.close for a bad password instead of a closed
// socket (handlers/connection_class.cpp).
bool decode(MethodReader& in, ConnectionStartOk& m) {
    m.client_properties = in.table();
    m.mechanism = in.shortstr();
    m.response = in.longstr();
    m.locale = in.shortstr();
    return in.ok();
}

// connection.tune-ok: the client's limits, each at most what connection.tune offered (0 means "no
// limit" for channel_max and frame_max, "no heartbeats" for heartbeat).
bool decode(MethodReader& in, ConnectionTuneOk& m) {
    m.channel_max = in.u16();
    m.frame_max = in.u32();
    m.heartbeat = in.u16();
    return in.ok();
}

// connection.open: the virtual host this connection will live in, chosen once for its lifetime.
bool decode(MethodReader& in, ConnectionOpen& m) {
    m.virtual_host = in.shortstr();
    in.shortstr();  // reserved-1 (capabilities)
    in.bit();       // reserved-2 (insist)
    return in.ok();
}

// connection.close and channel.close share their arguments: a reply code and text, and the class
// and method that caused the close (0, 0 when it was not a method's fault).
bool decode(MethodReader& in, CloseArgs& m) {
    m.reply_code = in.u16();
    m.reply_text = in.shortstr();
    m.class_id = in.u16();
    m.method_id = in.u16();
    return in.ok();
}

bool decode(MethodReader& in, ChannelFlow& m) {
    m.active = in.bit();
    return in.ok();
}

// exchange.declare: passive asks "does it exist?" without creating; internal exchanges accept
// bindings from other exchanges but no basic.publish. The arguments table carries extensions such
// as alternate-exchange.
bool decode(MethodReader& in, ExchangeDeclare& m) {
    in.u16();  // reserved-1 (ticket)
    m.exchange = in.shortstr();
    m.type = in.shortstr();
    m.passive = in.bit();
    m.durable = in.bit();
    m.auto_delete = in.bit();
    m.internal = in.bit();
    m.no_wait = in.bit();
    in.end_bits();
    m.arguments = in.table();
    return in.ok();
}

// exchange.delete: if_unused refuses when bindings remain (the application's "only if safe").
bool decode(MethodReader& in, ExchangeDelete& m) {
    in.u16();
    m.exchange = in.shortstr();
    m.if_unused = in.bit();
    m.no_wait = in.bit();
    return in.ok();
}

// exchange.bind (RabbitMQ's extension): messages routed by `source` also go to `destination`.
bool decode(MethodReader& in, ExchangeBind& m) {
    in.u16();
    m.destination = in.shortstr();
    m.source = in.shortstr();
    m.routing_key = in.shortstr();
    m.no_wait = in.bit();
    in.end_bits();
    m.arguments = in.table();
    return in.ok();
}

// queue.declare: the five flags are bits of one octet, then the x-arguments table
// (model/queue_arguments.hpp reads it).
bool decode(MethodReader& in, QueueDeclare& m) {
    in.u16();
    m.queue = in.shortstr();
    m.passive = in.bit();
    m.durable = in.bit();
    m.exclusive = in.bit();
    m.auto_delete = in.bit();
    m.no_wait = in.bit();
    in.end_bits();
    m.arguments = in.table();
    return in.ok();
}

// queue.bind and queue.unbind share their layout except for the trailing no-wait bit, which unbind
// does not have - one decoder with a flag, so the two cannot drift apart.
bool decode(MethodReader& in, QueueBind& m, bool has_no_wait) {
    in.u16();
    m.queue = in.shortstr();
    m.exchange = in.shortstr();
    m.routing_key = in.shortstr();
    m.no_wait = has_no_wait ? in.bit() : false;  // queue.unbind has no no-wait bit
    in.end_bits();
    m.arguments = in.table();
    return in.ok();
}

// queue.purge: drop the ready messages (unacked ones stay with their consumers).
bool decode(MethodReader& in, QueuePurge& m) {
    in.u16();
    m.queue = in.shortstr();
    m.no_wait = in.bit();
    return in.ok();
}

// queue.delete: if_unused / if_empty turn the delete into "only if no consumers / no messages".
bool decode(MethodReader& in, QueueDelete& m) {
    in.u16();
    m.queue = in.shortstr();
    m.if_unused = in.bit();
    m.if_empty = in.bit();
    m.no_wait = in.bit();
    return in.ok();
}

// basic.qos: the prefetch window. prefetch_count = N means "at most N unacked deliveries"; global
// says whether N is per consumer (false, RabbitMQ's reading) or shared by the channel (true).
// prefetch_size (a byte window) is in the spec, but RabbitMQ refuses a non-zero one with 540
// NOT_IMPLEMENTED, and so do we.
bool decode(MethodReader& in, BasicQos& m) {
    m.prefetch_size = in.u32();
    m.prefetch_count = in.u16();
    m.global = in.bit();
    return in.ok();
}

// basic.consume: subscribe to a queue. no_ack means "consider it delivered once sent" (at most
// once); exclusive means "nobody else may consume this queue"; an empty consumer_tag asks the broker
// to invent one (amq.ctag-...).
bool decode(MethodReader& in, BasicConsume& m) {
    in.u16();
    m.queue = in.shortstr();
    m.consumer_tag = in.shortstr();
    m.no_local = in.bit();
    m.no_ack = in.bit();
    m.exclusive = in.bit();
    m.no_wait = in.bit();
    in.end_bits();
    m.arguments = in.table();
    return in.ok();
}

// basic.cancel: end one subscription; its unacked deliveries stay unacked until settled.
bool decode(MethodReader& in, BasicCancel& m) {
    m.consumer_tag = in.shortstr();
    m.no_wait = in.bit();
    return in.ok();
}

// basic.publish: only where the message goes - the content header and body frames follow. mandatory
// asks for a basic.return if no queue takes the message; immediate was removed by RabbitMQ 3.0 and
// is refused (a connection error) by the handler.
bool decode(MethodReader& in, BasicPublish& m) {
    in.u16();
    m.exchange = in.shortstr();
    m.routing_key = in.shortstr();
    m.mandatory = in.bit();
    m.immediate = in.bit();
    return in.ok();
}

// basic.get: pull one message - polling, the alternative to basic.consume's push.
bool decode(MethodReader& in, BasicGet& m) {
    in.u16();
    m.queue = in.shortstr();
    m.no_ack = in.bit();
    return in.ok();
}

// The three ways to settle a delivery share one struct: ack (done; multiple = every tag up to this
// one), nack (RabbitMQ's extension: not done, multiple allowed, requeue or dead-letter) and reject
// (the spec's original: one tag only). One struct means one settle path in core/channel.cpp.
bool decode_basic_ack(MethodReader& in, BasicAck& m) {
    m.delivery_tag = in.u64();
    m.multiple = in.bit();
    m.requeue = false;
    return in.ok();
}

bool decode_basic_nack(MethodReader& in, BasicAck& m) {
    m.delivery_tag = in.u64();
    m.multiple = in.bit();
    m.requeue = in.bit();
    return in.ok();
}

bool decode_basic_reject(MethodReader& in, BasicAck& m) {
    m.delivery_tag = in.u64();
    m.multiple = false;
    m.requeue = in.bit();
    return in.ok();
}

// basic.recover: redeliver every unacked message of the channel (requeue=false is not supported by
// RabbitMQ either).
bool decode(MethodReader& in, BasicRecover& m) {
    m.requeue = in.bit();
    return in.ok();
}

// confirm.select: from now on every publish on this channel will be acked or nacked by the broker.
bool decode(MethodReader& in, ConfirmSelect& m) {
    m.no_wait = in.bit();
    return in.ok();
}

// ---- writing ----------------------------------------------------------------------------------

// ---- writing: the broker's side of every method, straight into the output buffer -------------
// The constructor opens the frame (type, channel, a size placeholder) and writes the class and
// method ids; each argument call appends; end() patches the size and adds the 0xCE end octet.
// Nothing is sent here - the session writes the whole buffer after the read batch.
MethodWriter::MethodWriter(mb::ByteBuffer& out, uint16_t channel, Method method)
    : out_(out), size_at_(begin_frame(out, FrameType::method, channel)) {
    short_(class_of(method));
    short_(index_of(method));
}

// The spec's integer types by their spec names (octet, short, long, longlong), all big-endian,
// so a writer call reads like the argument table of amqp0-9-1.pdf.
MethodWriter& MethodWriter::octet(uint8_t v) {
    out_.push_back(static_cast<char>(v));
    return *this;
}
MethodWriter& MethodWriter::short_(uint16_t v) {
    mb::ByteWriter(out_).u16(v);
    return *this;
}
MethodWriter& MethodWriter::long_(uint32_t v) {
    mb::ByteWriter(out_).u32(v);
    return *this;
}
MethodWriter& MethodWriter::longlong(uint64_t v) {
    mb::ByteWriter(out_).u64(v);
    return *this;
}
// A shortstr has a one-octet length, so at most 255 bytes. The broker only writes names it accepted
// (themselves shortstrs), so the cut never happens in practice; it is here so that a longer string
// can never produce a length octet that lies about the bytes after it.
MethodWriter& MethodWriter::shortstr(std::string_view s) {
    s = s.substr(0, std::min<size_t>(s.size(), 255));
    octet(static_cast<uint8_t>(s.size()));
    out_.append(s);
    return *this;
}
MethodWriter& MethodWriter::longstr(std::string_view s) {
    long_(static_cast<uint32_t>(s.size()));
    out_.append(s);
    return *this;
}
MethodWriter& MethodWriter::table(const FieldTable& t) {
    mb::ByteWriter writer(out_);
    encode_field_table(writer, t);
    return *this;
}
// Consecutive bit arguments packed into one octet, the first in bit 0 - the mirror of
// MethodReader::bit(). basic.deliver's single "redelivered" flag is such an octet.
MethodWriter& MethodWriter::bits(std::initializer_list<bool> flags) {
    uint8_t packed = 0;
    int bit = 0;
    for (bool flag : flags) {
        if (flag) packed = static_cast<uint8_t>(packed | 1 << bit);
        ++bit;
    }
    return octet(packed);
}
void MethodWriter::end() { end_frame(out_, size_at_); }

void write_empty_method(mb::ByteBuffer& out, uint16_t channel, Method method) {
    MethodWriter(out, channel, method).end();
}

// connection.close on channel 0, channel.close on any other: the same arguments, including the
// class and method that failed, so a client library can say "queue.declare failed: 406 ...".
void write_close(mb::ByteBuffer& out, uint16_t channel, uint16_t reply_code, std::string_view reply_text,
                 uint32_t failing_method) {
    MethodWriter(out, channel, channel == 0 ? connection_close : channel_close)
        .short_(reply_code)
        .shortstr(reply_text)
        .short_(class_of(failing_method))
        .short_(index_of(failing_method))
        .end();
}

}  // namespace minirabbit::amqp
