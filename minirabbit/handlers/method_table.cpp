// minirabbit/handlers/method_table.cpp
//
// The dispatch table: one line per method a client may send on a channel, naming its handler - the
// place to start when you want to know "what does the broker do with queue.bind?".
// Methods the broker sends (deliver, get-ok, ...) and the connection class (channel 0, see
// connection_class.cpp) are not here. channel.open and channel.close are handled by the connection,
// which owns the channel table.
//
// CONCEPT: the same table as miniredis/commands/command_table.cpp and minikafka's handler table:
// one line per request kind, so the list of what the server understands is one page. A method not
// in the table closes the connection (Channel::handle_method): 503 COMMAND_INVALID for a real
// method a client may not send here (basic.deliver), 540 NOT_IMPLEMENTED for an unknown id.
//
//   frame (class 50, method 10) ──▶ lookup ──▶ Channel::queue_declare (handlers/queue_class.cpp)
// READ NEXT: basic_class.cpp (publish, consume, ack), core/channel.hpp.
#include "core/channel.hpp"
#include "protocol/constants.hpp"

namespace minirabbit {

namespace {
struct MethodEntry {
    uint32_t method;
    Channel::Handler handler;
};

constexpr MethodEntry kMethods[] = {
    // the hot path first: publish, ack, and the methods consumers use
    {amqp::basic_publish, &Channel::handle_basic_publish},
    {amqp::basic_ack, &Channel::handle_basic_ack},
    {amqp::basic_nack, &Channel::handle_basic_nack},
    {amqp::basic_reject, &Channel::handle_basic_reject},
    {amqp::basic_get, &Channel::handle_basic_get},
    {amqp::basic_consume, &Channel::handle_basic_consume},
    {amqp::basic_cancel, &Channel::handle_basic_cancel},
    {amqp::basic_qos, &Channel::handle_basic_qos},
    {amqp::basic_recover, &Channel::handle_basic_recover},
    {amqp::basic_recover_async, &Channel::handle_basic_recover_async},
    {amqp::channel_flow, &Channel::handle_channel_flow},
    {amqp::channel_flow_ok, &Channel::handle_channel_flow_ok},
    {amqp::exchange_declare, &Channel::handle_exchange_declare},
    {amqp::exchange_delete, &Channel::handle_exchange_delete},
    {amqp::exchange_bind, &Channel::handle_exchange_bind},
    {amqp::exchange_unbind, &Channel::handle_exchange_unbind},
    {amqp::queue_declare, &Channel::handle_queue_declare},
    {amqp::queue_bind, &Channel::handle_queue_bind},
    {amqp::queue_unbind, &Channel::handle_queue_unbind},
    {amqp::queue_purge, &Channel::handle_queue_purge},
    {amqp::queue_delete, &Channel::handle_queue_delete},
    {amqp::confirm_select, &Channel::handle_confirm_select},
    {amqp::tx_select, &Channel::handle_tx_select},
    {amqp::tx_commit, &Channel::handle_tx_commit},
    {amqp::tx_rollback, &Channel::handle_tx_rollback},
};
}  // namespace

Channel::Handler Channel::find_handler(uint32_t method) {
    for (const auto& entry : kMethods)
        if (entry.method == method) return entry.handler;
    return nullptr;
}

}  // namespace minirabbit
