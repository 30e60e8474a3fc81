// minirabbit/protocol/constants.cpp
//
// Names for method ids and reply codes: used in logs and in RabbitMQ-style error texts.
//
// CONCEPT: making numbers readable. Nothing on the wire needs these strings; a person does. A
// trace line "recv channel 1 basic.publish" instead of "60.40", and a close reason "NOT_FOUND - no
// queue 'q' in vhost '/'" that matches RabbitMQ's word for word, so a client's error handling (and a
// student's search engine) works the same against both brokers.
// READ NEXT: constants.hpp, core/amqp_error.hpp.
#include "constants.hpp"

namespace minirabbit::amqp {

std::string_view method_name(uint32_t method) {
    switch (method) {
        // class 10, connection: channel 0 only - the handshake, the limits, the goodbye, and RabbitMQ's
        // blocked/unblocked notices (the memory alarm telling publishers to pause).
        case connection_start:
            return "connection.start";
        case connection_start_ok:
            return "connection.start-ok";
        case connection_secure:
            return "connection.secure";
        case connection_secure_ok:
            return "connection.secure-ok";
        case connection_tune:
            return "connection.tune";
        case connection_tune_ok:
            return "connection.tune-ok";
        case connection_open:
            return "connection.open";
        case connection_open_ok:
            return "connection.open-ok";
        case connection_close:
            return "connection.close";
        case connection_close_ok:
            return "connection.close-ok";
        case connection_blocked:
            return "connection.blocked";
        case connection_unblocked:
            return "connection.unblocked";
        case connection_update_secret:
            return "connection.update-secret";
        case connection_update_secret_ok:
            return "connection.update-secret-ok";
        // class 20, channel: opening and closing the lightweight sessions, and the consumer-side brake.
        case channel_open:
            return "channel.open";
        case channel_open_ok:
            return "channel.open-ok";
        case channel_flow:
            return "channel.flow";
        case channel_flow_ok:
            return "channel.flow-ok";
        case channel_close:
            return "channel.close";
        case channel_close_ok:
            return "channel.close-ok";
        // class 40, exchange: the routing side of the topology (bind/unbind are RabbitMQ's extension).
        case exchange_declare:
            return "exchange.declare";
        case exchange_declare_ok:
            return "exchange.declare-ok";
        case exchange_delete:
            return "exchange.delete";
        case exchange_delete_ok:
            return "exchange.delete-ok";
        case exchange_bind:
            return "exchange.bind";
        case exchange_bind_ok:
            return "exchange.bind-ok";
        case exchange_unbind:
            return "exchange.unbind";
        case exchange_unbind_ok:
            return "exchange.unbind-ok";
        // class 50, queue: the storing side of the topology, and the bindings that connect the two.
        case queue_declare:
            return "queue.declare";
        case queue_declare_ok:
            return "queue.declare-ok";
        case queue_bind:
            return "queue.bind";
        case queue_bind_ok:
            return "queue.bind-ok";
        case queue_purge:
            return "queue.purge";
        case queue_purge_ok:
            return "queue.purge-ok";
        case queue_delete:
            return "queue.delete";
        case queue_delete_ok:
            return "queue.delete-ok";
        case queue_unbind:
            return "queue.unbind";
        case queue_unbind_ok:
            return "queue.unbind-ok";
        // class 60, basic: every method that moves a message - publish in, deliver/get out, settle back.
        case basic_qos:
            return "basic.qos";
        case basic_qos_ok:
            return "basic.qos-ok";
        case basic_consume:
            return "basic.consume";
        case basic_consume_ok:
            return "basic.consume-ok";
        case basic_cancel:
            return "basic.cancel";
        case basic_cancel_ok:
            return "basic.cancel-ok";
        case basic_publish:
            return "basic.publish";
        case basic_return:
            return "basic.return";
        case basic_deliver:
            return "basic.deliver";
        case basic_get:
            return "basic.get";
        case basic_get_ok:
            return "basic.get-ok";
        case basic_get_empty:
            return "basic.get-empty";
        case basic_ack:
            return "basic.ack";
        case basic_reject:
            return "basic.reject";
        case basic_recover_async:
            return "basic.recover-async";
        case basic_recover:
            return "basic.recover";
        case basic_recover_ok:
            return "basic.recover-ok";
        case basic_nack:
            return "basic.nack";
        // class 85, confirm: RabbitMQ's publisher confirms (not in the 0-9-1 spec; every client knows it).
        case confirm_select:
            return "confirm.select";
        case confirm_select_ok:
            return "confirm.select-ok";
        // class 90, tx: the spec's transactions.
        case tx_select:
            return "tx.select";
        case tx_select_ok:
            return "tx.select-ok";
        case tx_commit:
            return "tx.commit";
        case tx_commit_ok:
            return "tx.commit-ok";
        case tx_rollback:
            return "tx.rollback";
        case tx_rollback_ok:
            return "tx.rollback-ok";
        default:
            return "unknown";
    }
}

std::string_view reply_name(uint16_t code) {
    switch (code) {
        // Reply codes. 200 is a normal close. 311-313 are basic.return's reasons. 320 is the
        // broker closing a connection itself (shutdown, DELETE /api/connections). The spec marks
        // each code a channel ("soft") or connection ("hard") error: 403-406 close only the
        // channel, 5xx (and 402) the connection - the split core/amqp_error.hpp models.
        case reply_success:
            return "NORMAL";
        case content_too_large:
            return "CONTENT_TOO_LARGE";
        case no_route:
            return "NO_ROUTE";
        case no_consumers:
            return "NO_CONSUMERS";
        case connection_forced:
            return "CONNECTION_FORCED";
        case invalid_path:
            return "INVALID_PATH";
        case access_refused:
            return "ACCESS_REFUSED";
        case not_found:
            return "NOT_FOUND";
        case resource_locked:
            return "RESOURCE_LOCKED";
        case precondition_failed:
            return "PRECONDITION_FAILED";
        // Connection errors: the peer broke the protocol itself, so nothing more on this connection can
        // be trusted.
        case frame_error:
            return "FRAME_ERROR";
        case syntax_error:
            return "SYNTAX_ERROR";
        case command_invalid:
            return "COMMAND_INVALID";
        case channel_error:
            return "CHANNEL_ERROR";
        case unexpected_frame:
            return "UNEXPECTED_FRAME";
        case resource_error:
            return "RESOURCE_ERROR";
        case not_allowed:
            return "NOT_ALLOWED";
        case not_implemented:
            return "NOT_IMPLEMENTED";
        case internal_error:
            return "INTERNAL_ERROR";
        default:
            return "UNKNOWN";
    }
}

}  // namespace minirabbit::amqp
