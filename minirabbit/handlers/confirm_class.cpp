// minirabbit/handlers/confirm_class.cpp
//
// The confirm class (RabbitMQ's publisher confirms). After confirm.select, every publish on the
// channel gets a sequence number 1, 2, 3, ... and the broker later answers each with basic.ack
// ("I have it: routed, and on disk if it was persistent and went to a durable queue") or basic.nack
// ("I could not take it": a queue with x-overflow=reject-publish was full). Acks may cover many
// messages at once (multiple=true). The bookkeeping is in core/channel.cpp, flush_confirms().
//
// CONCEPT: publisher confirms close the loop on the producer's side, as consumer acks do on the
// consumer's: a producer that waits for basic.ack before forgetting a message loses nothing, even if
// the broker crashes - the ack is sent only after the journal's fsync covers it (group commit:
// storage/journal.hpp). Compare Kafka's acks=all (minikafka) and Redis' WAIT (miniredis).
//
//   confirm.select ──▶ publish #1, #2, #3 ──▶ journal fsync ──▶ basic.ack delivery-tag 3 multiple
// READ NEXT: core/channel.cpp (flush_confirms), storage/journal.hpp, docs/minirabbit/01-follow-a-publish.md §10.
#include "amqp_error.hpp"
#include "core/channel.hpp"

namespace minirabbit {

using namespace amqp;

// Selecting confirm mode twice is allowed (a no-op); from tx mode it is a 406, since a transaction's
// commit-ok and per-message acks would give two answers to the same question.
void Channel::handle_confirm_select(MethodReader& in) {
    ConfirmSelect m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed confirm.select");
    if (tx_mode_) throw soft_error(precondition_failed, "cannot switch from tx to confirm mode");
    confirm_mode_ = true;
    if (!m.no_wait) send_ok(confirm_select_ok);
}

}  // namespace minirabbit
