// minirabbit/handlers/channel_class.cpp
//
// The channel class. channel.open and channel.close are handled by the connection (it owns the
// channel table: core/connection.cpp); what is left is flow control from the client's side.
//
// channel.flow(active=false) asks the broker to stop sending deliveries on this channel until
// channel.flow(active=true) - a consumer's brake. (RabbitMQ never sends channel.flow itself any
// more; it uses connection.blocked for publishers. So channel.flow-ok from a client is unexpected.)
//
// CONCEPT: flow control has two directions. channel.flow is the consumer-side brake (the client
// asks us to stop delivering); basic.qos is the modern one (a prefetch window). The publisher-side
// brake is connection.blocked, sent by the memory alarm (core/memory_monitor.hpp).
// READ NEXT: core/connection.cpp (channel.open/close), basic_class.cpp (basic.qos).
#include "amqp_error.hpp"
#include "core/channel.hpp"
#include "core/connection.hpp"

namespace minirabbit {

using namespace amqp;

// Pausing stops new deliveries only; what is in flight stays unacked and may still be acked.
// Resuming runs dispatch again for this channel's queues, so waiting messages leave at once.
void Channel::handle_channel_flow(MethodReader& in) {
    ChannelFlow m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed channel.flow");
    flow_active_ = m.active;
    MethodWriter(out(), number_, channel_flow_ok).bits({m.active}).end();
    if (flow_active_) on_output_drained();  // resume: dispatch to our consumers again
}

// The answer to a channel.flow the broker never sends: accepted and ignored.
void Channel::handle_channel_flow_ok(MethodReader&) {
    // We never send channel.flow, so there is nothing this could answer.
}

}  // namespace minirabbit
