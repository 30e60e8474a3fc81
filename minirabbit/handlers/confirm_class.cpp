// The confirm class (RabbitMQ's publisher confirms). After confirm.select, every publish on the
// channel gets a sequence number 1, 2, 3, ... and the broker later answers each with basic.ack
// ("I have it: routed, and on disk if it was persistent and went to a durable queue") or basic.nack
// ("I could not take it": a queue with x-overflow=reject-publish was full). Acks may cover many
// messages at once (multiple=true). The bookkeeping is in core/channel.cpp, flush_confirms().
#include "amqp_error.hpp"
#include "core/channel.hpp"

namespace minirabbit {

using namespace amqp;

void Channel::handle_confirm_select(MethodReader& in) {
    ConfirmSelect m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed confirm.select");
    if (tx_mode_) throw soft_error(precondition_failed, "cannot switch from tx to confirm mode");
    confirm_mode_ = true;
    if (!m.no_wait) send_ok(confirm_select_ok);
}

}  // namespace minirabbit
