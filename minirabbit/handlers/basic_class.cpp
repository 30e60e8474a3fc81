// minirabbit/handlers/basic_class.cpp
//
// The basic class: publishing, consuming and acknowledging - the methods that move messages.
//
//   basic.publish      -> content frames follow; core/channel.cpp assembles, routes, confirms
//   basic.consume      subscribe: the queue pushes basic.deliver while the consumer has credit
//   basic.qos          credit: at most N unacked deliveries (per consumer, or per channel if global)
//   basic.get          pull one message (get-ok) or learn the queue is empty (get-empty)
//   basic.ack          done with delivery tag T (multiple: with every tag up to T)
//   basic.nack/reject  not done: requeue it, or dead-letter / drop it
//   basic.recover      redeliver everything unacked on this channel
//   basic.cancel       unsubscribe (the broker sends it too, when a consumed queue is deleted)
//
// CONCEPT: the course notes' "reliable delivery" is in this file: a consumer's acknowledgement
// (basic.ack) is what lets the broker forget a message, and basic.qos bounds how many unacked
// messages a consumer may hold, so one slow worker cannot hoard the queue. Everything a handler
// here does is checked first (queue exists? consumer tag free? delivery tag known?) and only then
// applied, so a 404 or 406 never leaves half a change behind (core/amqp_error.hpp).
//
//   basic.consume ──▶ Queue::add_consumer ──▶ Queue::dispatch ──▶ Channel::deliver (basic.deliver)
//   basic.ack T   ──▶ Channel::settle ──▶ message leaves the unacked map; journal gets an ack record
// READ NEXT: core/channel.cpp (assembly, delivery, settle), model/queue.hpp,
//            docs/minirabbit/01-follow-a-publish.md §3 and §9.
#include <random>

#include "amqp_error.hpp"
#include "core/channel.hpp"
#include "core/connection.hpp"
#include "model/broker.hpp"

namespace minirabbit {

using namespace amqp;

// basic.qos: the consumer's flow control. Without a prefetch limit the broker pushes every ready
// message at once to the first consumer - the "one worker got all the jobs" surprise; with
// prefetch 1 each worker holds one job at a time, and work spreads by speed.
void Channel::handle_basic_qos(MethodReader& in) {
    BasicQos m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed basic.qos");
    if (m.prefetch_size != 0) throw hard_error(not_implemented, "prefetch_size!=0 ({})", m.prefetch_size);
    // RabbitMQ's reading of the spec: global=false limits each consumer created afterwards,
    // global=true limits the channel's consumers together.
    if (m.global) {
        global_prefetch_count_ = m.prefetch_count;
    } else {
        prefetch_count_ = m.prefetch_count;
    }
    send_ok(basic_qos_ok);
    on_output_drained();  // a raised limit may let waiting messages go now
}

// basic.consume: register a consumer on a queue, reply consume-ok, then let the queue dispatch.
// The consumer tag is unique per channel (a client names its consumers, or lets us).
void Channel::handle_basic_consume(MethodReader& in) {
    BasicConsume m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed basic.consume");
    std::string queue_name(resolve_queue_name(m.queue));
    connection_.check_read("queue", queue_name);
    Queue& queue = find_queue_or_throw(queue_name);
    check_exclusive_access(queue);
    std::string tag(m.consumer_tag);
    if (tag.empty()) {
        static std::mt19937_64 random{std::random_device{}()};
        static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        tag = "amq.ctag-";
        for (int i = 0; i < 22; ++i) tag.push_back(kAlphabet[random() % 64]);
    } else if (find_consumer(tag)) {
        throw hard_error(not_allowed, "attempt to reuse consumer tag '{}'", tag);
    }
    if (queue.has_exclusive_consumer() || (m.exclusive && queue.consumer_count() > 0))
        throw soft_error(access_refused, "queue '{}' in vhost '{}' in exclusive use", queue_name,
                         connection_.vhost_name());
    auto consumer = std::make_unique<Consumer>();
    consumer->tag = tag;
    consumer->queue = &queue;
    consumer->owner = this;
    consumer->no_ack = m.no_ack;
    consumer->exclusive = m.exclusive;
    consumer->prefetch_count = prefetch_count_;
    Consumer& added = *consumers_.emplace_back(std::move(consumer));
    queue.add_consumer(added);
    // consume-ok must reach the client before the first basic.deliver for this tag.
    if (!m.no_wait) MethodWriter(out(), number_, basic_consume_ok).shortstr(tag).end();
    queue.dispatch();
}

// basic.cancel: stop the push; nothing already delivered is taken back.
void Channel::handle_basic_cancel(MethodReader& in) {
    BasicCancel m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed basic.cancel");
    std::string tag(m.consumer_tag);
    // Unacked deliveries of a cancelled consumer stay unacked: the client may still ack them.
    if (Consumer* consumer = find_consumer(tag)) remove_consumer(*consumer);
    if (!m.no_wait) MethodWriter(out(), number_, basic_cancel_ok).shortstr(tag).end();
}

// basic.publish: permission and existence checks now (write on the exchange), while the method is
// at hand; the message itself arrives in the next frames.
void Channel::handle_basic_publish(MethodReader& in) {
    BasicPublish m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed basic.publish");
    if (m.immediate) throw hard_error(not_implemented, "immediate=true");
    connection_.note_publisher();  // a publishing connection is one the memory alarm may block
    // Only remember the routing data: the content header and body frames follow and the message is
    // routed when its last byte is in (finish_publish in core/channel.cpp).
    pending_.active = true;
    pending_.header_seen = false;
    pending_.exchange.assign(m.exchange);
    pending_.routing_key.assign(m.routing_key);
    pending_.mandatory = m.mandatory;
}

// basic.get: one message, pulled. It counts against nothing (no prefetch) and, unless no_ack,
// becomes an unacked delivery like a pushed one. Polling is simple but costs a round trip per
// message - RabbitMQ's docs advise basic.consume for anything busy.
void Channel::handle_basic_get(MethodReader& in) {
    BasicGet m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed basic.get");
    std::string queue_name(resolve_queue_name(m.queue));
    connection_.check_read("queue", queue_name);
    Queue& queue = find_queue_or_throw(queue_name);
    check_exclusive_access(queue);
    auto message = queue.get();
    if (!message) {
        MethodWriter(out(), number_, basic_get_empty).shortstr("").end();
        return;
    }
    uint64_t tag = next_delivery_tag_++;
    const Message& body = *message->message;
    MethodWriter(out(), number_, basic_get_ok)
        .longlong(tag)
        .bits({message->redelivered})
        .shortstr(body.exchange())
        .shortstr(body.routing_key())
        .long_(static_cast<uint32_t>(queue.ready_count()))
        .end();
    write_delivery_content(body);
    connection_.broker().trace_line("basic.get-ok channel={} queue={} delivery_tag={} redelivered={} -> {}", number_,
                                    queue.name(), tag, message->redelivered,
                                    m.no_ack ? "settled as sent (no_ack)" : "unacked until the consumer settles it");
    if (m.no_ack) {
        queue.ack(*message);
    } else {
        unacked_.push_back(Unacked{tag, queue.shared_from_this(), std::move(*message), nullptr});
        ++unacked_live_;
    }
}

// --trace: what the consumer said. What it did to each message follows from the queue (requeue,
// dead-letter) - an ack just removes the message (and its journal record).
void Channel::trace_settle(std::string_view method, const BasicAck& m) const {
    if (!connection_.broker().trace) return;
    const bool ack = method == "basic.ack";
    connection_.broker().trace_line("{} channel={} delivery_tag={} multiple={}{} -> {}", method, number_,
                                    m.delivery_tag, m.multiple, ack ? "" : fmt::format(" requeue={}", m.requeue),
                                    tx_mode_    ? "held until tx.commit"
                                    : ack       ? "acked: the queue forgets it"
                                    : m.requeue ? "back to its queue"
                                                : "dropped or dead-lettered by its queue");
}

// ack / nack / reject all end in settle() (core/channel.cpp), which finds the delivery tags, tells
// the queue, and frees prefetch credit. A tag that is unknown (already settled, or never sent) is a
// 406 channel error: acking twice is a client bug that would otherwise go unnoticed.
void Channel::handle_basic_ack(MethodReader& in) {
    BasicAck m;
    if (!decode_basic_ack(in, m)) throw hard_error(syntax_error, "malformed basic.ack");
    trace_settle("basic.ack", m);
    if (tx_mode_) {
        hold_for_commit(TxSettle{m.delivery_tag, m.multiple, true, false});
        return;
    }
    settle(m.delivery_tag, m.multiple, true, false);
}

// basic.nack (RabbitMQ's extension): like reject, but for many tags at once (multiple). requeue=false
// dead-letters the messages when the queue has a dead-letter exchange, else drops them.
void Channel::handle_basic_nack(MethodReader& in) {
    BasicAck m;
    if (!decode_basic_nack(in, m)) throw hard_error(syntax_error, "malformed basic.nack");
    trace_settle("basic.nack", m);
    if (tx_mode_) {
        hold_for_commit(TxSettle{m.delivery_tag, m.multiple, false, m.requeue});
        return;
    }
    settle(m.delivery_tag, m.multiple, false, m.requeue);
}

// basic.reject: the spec's original "not done" for one tag. A consumer that rejects with requeue=true
// forever creates a hot loop of redeliveries - the reason dead-letter exchanges exist.
void Channel::handle_basic_reject(MethodReader& in) {
    BasicAck m;
    if (!decode_basic_reject(in, m)) throw hard_error(syntax_error, "malformed basic.reject");
    trace_settle("basic.reject", m);
    if (tx_mode_) {
        hold_for_commit(TxSettle{m.delivery_tag, false, false, m.requeue});
        return;
    }
    settle(m.delivery_tag, false, false, m.requeue);
}

// basic.recover: "I lost track - send me everything unacked again". Every unacked delivery of the
// channel goes back to its queue (redelivered = true) and will be dispatched anew, possibly to
// another consumer.
void Channel::handle_basic_recover(MethodReader& in) {
    BasicRecover m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed basic.recover");
    if (!m.requeue) throw hard_error(not_implemented, "requeue=false");
    send_ok(basic_recover_ok);
    requeue_all_unacked();
}

void Channel::handle_basic_recover_async(MethodReader& in) {
    BasicRecover m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed basic.recover-async");
    if (!m.requeue) throw hard_error(not_implemented, "requeue=false");
    requeue_all_unacked();
}

}  // namespace minirabbit
