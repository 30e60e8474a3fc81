// minirabbit/protocol/constants.hpp
//
// The numbers of AMQP 0-9-1: frame types, class and method ids, and the reply codes that travel in
// connection.close and channel.close. Names follow the spec (amqp0-9-1.xml) so a reader holding it can
// grep for them; the reply texts follow RabbitMQ ("NOT_FOUND - no queue 'q' in vhost '/'").
//
// CONCEPT: one table of magic numbers, so nothing else in the server writes a bare 50 or 404.
// Reply codes split into channel errors (4xx: 403 ACCESS_REFUSED, 404 NOT_FOUND, 405
// RESOURCE_LOCKED, 406 PRECONDITION_FAILED - only the channel closes) and connection errors (3xx
// and 5xx: 320 CONNECTION_FORCED, 501 FRAME_ERROR, 503 COMMAND_INVALID - the whole connection
// closes). core/amqp_error.hpp turns a code into the right close.
//
//   class 60 (basic) . method 40 (publish)  ──▶ 60.40 ──▶ "basic.publish" (constants.cpp, for logs)
// READ NEXT: constants.cpp, frame.hpp, core/amqp_error.hpp.
#pragma once

#include <cstdint>
#include <string_view>

namespace minirabbit::amqp {

// The first 8 bytes a client sends: "AMQP" 0 0 9 1 (protocol id 0, version 0-9-1).
inline constexpr std::string_view kProtocolHeader{"AMQP\x00\x00\x09\x01", 8};

// Frame types skip 4-7: the 0-9-1 spec dropped the "oob" (out-of-band) frame types of 0-8 and kept
// the numbers of the ones that stayed, so heartbeat is still 8.
enum class FrameType : uint8_t { method = 1, header = 2, body = 3, heartbeat = 8 };
inline constexpr uint8_t kFrameEnd = 0xCE;
inline constexpr uint32_t kFrameHeaderSize = 7;  // type u8, channel u16, size u32
inline constexpr uint32_t kFrameOverhead = 8;    // header + the frame-end octet
// frame_max is negotiated, but never below 4096: a peer must always be able to send a method that
// fits in that much (connection.close with a long reply text), even before tune is agreed.
inline constexpr uint32_t kFrameMinSize = 4096;       // every peer must accept frames this big
inline constexpr uint32_t kDefaultFrameMax = 131072;  // what RabbitMQ proposes in connection.tune
inline constexpr uint16_t kDefaultChannelMax = 2047;  // RabbitMQ's default channel_max

// A method is named by (class id, method id); we pack both into one number for switch tables.
constexpr uint32_t method_id(uint16_t class_id, uint16_t method) { return uint32_t{class_id} << 16 | method; }

namespace cls {
inline constexpr uint16_t connection = 10, channel = 20, exchange = 40, queue = 50, basic = 60, confirm = 85, tx = 90;
}

// The numbering follows a pattern worth knowing when reading a hex dump: a request is N0 and its
// reply N1 (queue.declare 50.10 -> declare-ok 50.11), requests of one class count up in tens.
// Methods that need no reply (basic.publish, basic.ack, basic.deliver) have no N1 partner: that is
// what makes them cheap enough to send per message. One known irregularity, kept as RabbitMQ
// defines it: exchange.unbind-ok is 40.51, not 40.41.
enum Method : uint32_t {
    connection_start = method_id(10, 10),
    connection_start_ok = method_id(10, 11),
    connection_secure = method_id(10, 20),
    connection_secure_ok = method_id(10, 21),
    connection_tune = method_id(10, 30),
    connection_tune_ok = method_id(10, 31),
    connection_open = method_id(10, 40),
    connection_open_ok = method_id(10, 41),
    connection_close = method_id(10, 50),
    connection_close_ok = method_id(10, 51),
    connection_blocked = method_id(10, 60),  // RabbitMQ extension: "stop publishing, I am low on memory"
    connection_unblocked = method_id(10, 61),
    connection_update_secret = method_id(10, 70),
    connection_update_secret_ok = method_id(10, 71),
    channel_open = method_id(20, 10),
    channel_open_ok = method_id(20, 11),
    channel_flow = method_id(20, 20),
    channel_flow_ok = method_id(20, 21),
    channel_close = method_id(20, 40),
    channel_close_ok = method_id(20, 41),
    exchange_declare = method_id(40, 10),
    exchange_declare_ok = method_id(40, 11),
    exchange_delete = method_id(40, 20),
    exchange_delete_ok = method_id(40, 21),
    exchange_bind = method_id(40, 30),  // RabbitMQ extension: exchange-to-exchange bindings
    exchange_bind_ok = method_id(40, 31),
    exchange_unbind = method_id(40, 40),
    exchange_unbind_ok = method_id(40, 51),
    queue_declare = method_id(50, 10),
    queue_declare_ok = method_id(50, 11),
    queue_bind = method_id(50, 20),
    queue_bind_ok = method_id(50, 21),
    queue_purge = method_id(50, 30),
    queue_purge_ok = method_id(50, 31),
    queue_delete = method_id(50, 40),
    queue_delete_ok = method_id(50, 41),
    queue_unbind = method_id(50, 50),
    queue_unbind_ok = method_id(50, 51),
    basic_qos = method_id(60, 10),
    basic_qos_ok = method_id(60, 11),
    basic_consume = method_id(60, 20),
    basic_consume_ok = method_id(60, 21),
    basic_cancel = method_id(60, 30),
    basic_cancel_ok = method_id(60, 31),
    basic_publish = method_id(60, 40),
    basic_return = method_id(60, 50),
    basic_deliver = method_id(60, 60),
    basic_get = method_id(60, 70),
    basic_get_ok = method_id(60, 71),
    basic_get_empty = method_id(60, 72),
    basic_ack = method_id(60, 80),
    basic_reject = method_id(60, 90),
    basic_recover_async = method_id(60, 100),
    basic_recover = method_id(60, 110),
    basic_recover_ok = method_id(60, 111),
    basic_nack = method_id(60, 120),     // RabbitMQ extension: reject many at once, and negative confirms
    confirm_select = method_id(85, 10),  // RabbitMQ extension: publisher confirms
    confirm_select_ok = method_id(85, 11),
    tx_select = method_id(90, 10),
    tx_select_ok = method_id(90, 11),
    tx_commit = method_id(90, 20),
    tx_commit_ok = method_id(90, 21),
    tx_rollback = method_id(90, 30),
    tx_rollback_ok = method_id(90, 31),
};

constexpr uint16_t class_of(uint32_t method) { return static_cast<uint16_t>(method >> 16); }
constexpr uint16_t index_of(uint32_t method) { return static_cast<uint16_t>(method & 0xFFFF); }

// "exchange.declare" for logs and error texts; "unknown" for ids we do not know.
std::string_view method_name(uint32_t method);

// Reply codes. Channel exceptions (4xx) close one channel; connection exceptions (5xx, and 320)
// close the whole connection. The spec calls them "soft" and "hard" errors.
enum ReplyCode : uint16_t {
    reply_success = 200,
    content_too_large = 311,
    no_route = 312,  // basic.return for a mandatory message that reached no queue
    no_consumers = 313,
    connection_forced = 320,
    invalid_path = 402,
    access_refused = 403,
    not_found = 404,
    resource_locked = 405,
    precondition_failed = 406,
    frame_error = 501,
    syntax_error = 502,
    command_invalid = 503,
    channel_error = 504,
    unexpected_frame = 505,
    resource_error = 506,
    not_allowed = 530,
    not_implemented = 540,
    internal_error = 541,
};

// "NOT_FOUND" for 404, the prefix RabbitMQ puts in front of every reply text.
std::string_view reply_name(uint16_t code);

}  // namespace minirabbit::amqp
