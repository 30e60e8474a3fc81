// minirabbit/model/vhost.cpp
//
// Virtual hosts: predeclared exchanges, routing, deletion, dead-lettering (see vhost.hpp).
//
// CONCEPT: the vhost is where routing is completed. An exchange only answers "which bindings
// match?"; the vhost turns that into a list of queues - following exchange-to-exchange bindings and
// alternate exchanges, and stamping every exchange and queue it reaches with the number of this
// route (route_mark), so a cycle e1 -> e2 -> e1 terminates and a queue reached twice gets the
// message once. The caller (core/channel.cpp) enqueues one shared Message in each.
//
//   route(e, key) ──▶ e.route(key) ──▶ {queue A, exchange e2} ──▶ e2.route ──▶ {queue B, queue A}
//                 ──▶ distinct queues {A, B}   (no queue at all: the channel returns a mandatory
//                                               message with basic.return, else drops it)
//
// Dead-lettering lives here too, because it is routing again: a message that expires, is rejected
// without requeue, or overflows a queue is republished to the queue's x-dead-letter-exchange with
// an x-death header saying why and from where (RabbitMQ's format, so a consumer's retry logic reads
// it the same way).
// READ NEXT: exchange.cpp, queue.cpp, docs/minirabbit/01-follow-a-publish.md §5.
#include "vhost.hpp"

#include <algorithm>
#include <chrono>

#include "broker.hpp"
#include "log.hpp"
#include "protocol/content_header.hpp"

namespace minirabbit {

// Every vhost starts with RabbitMQ's predeclared exchanges, so a client written for RabbitMQ can
// publish to amq.topic or bind to amq.fanout without declaring them. amq.rabbitmq.trace is internal
// (no direct publishing), as in RabbitMQ, where the firehose tracer publishes to it.
Vhost::Vhost(Broker& broker, std::string name) : broker_(broker), name_(std::move(name)) {
    struct Predeclared {
        const char* name;
        const char* type;
        bool internal;
    };
    static constexpr Predeclared kPredeclared[] = {
        {"", "direct", false},
        {"amq.direct", "direct", false},
        {"amq.fanout", "fanout", false},
        {"amq.topic", "topic", false},
        {"amq.headers", "headers", false},
        {"amq.match", "headers", false},
        {"amq.rabbitmq.trace", "topic", true},
    };
    for (const auto& e : kPredeclared) add_exchange(make_exchange(e.type, e.name, true, false, e.internal, {}));
}

Vhost::~Vhost() {
    // Bindings point at queues and exchanges: drop them before either goes.
    for (auto& [name, exchange] : exchanges_) {
        std::vector<const void*> targets;
        for (const auto& b : exchange->bindings())
            targets.push_back(b->queue ? static_cast<const void*>(b->queue) : b->exchange);
        for (const void* t : targets) exchange->unbind_all_to(t);
    }
}

// Lookups by name go through the hash indexes: the default exchange looks the routing key up
// once per message, and a channel looks up the exchange of every publish. A std::map of 10,000
// names costs ~14 string compares per lookup, each a likely cache miss; the hash index costs one
// hash of the name, one slot and (usually) one compare, whatever the number of queues. It takes a
// string_view, so a name that is still a view into a frame is looked up without building a string.
Exchange* Vhost::find_exchange(std::string_view name) const { return exchange_index_.find(name); }

Queue* Vhost::find_queue(std::string_view name) const { return queue_index_.find(name); }

std::shared_ptr<Queue> Vhost::queue_ref(std::string_view name) const {
    Queue* queue = find_queue(name);
    return queue ? queue->shared_from_this() : nullptr;
}

// Exchanges are owned uniquely by the vhost; queues by shared_ptr (add_queue), because a channel
// holding unacked deliveries keeps the queue alive after a delete until it settles them.
// Replacing an object of the same name re-keys the index: its key is a view of the old name.
Exchange& Vhost::add_exchange(std::unique_ptr<Exchange> exchange) {
    exchange->history().set_born(broker_.statistics_clock().taken());  // its charts start now
    auto& slot = exchanges_[exchange->name()];
    if (slot) exchange_index_.erase(slot->name());
    slot = std::move(exchange);
    exchange_index_.insert(slot.get());
    return *slot;
}

Queue& Vhost::add_queue(std::shared_ptr<Queue> queue) {
    // A queue declared after a policy takes it at once, as in RabbitMQ.
    if (!policies_.empty()) queue->apply_policy(policy_for_queue(policies_, queue->name()));
    queue->history().set_born(broker_.statistics_clock().taken());
    auto& slot = queues_[queue->name()];
    if (slot) {
        queue_index_.erase(slot->name());
        deadlines_.remove(slot.get());
    }
    slot = std::move(queue);
    queue_index_.insert(slot.get());
    slot->rearm();  // x-expires counts from the declare
    return *slot;
}

// A policy change re-evaluates every queue of the vhost: the winning policy may change for queues
// that matched the old pattern, the new one, or both.
void Vhost::set_policy(Policy policy) {
    std::string name = policy.name;
    policies_.insert_or_assign(std::move(name), std::move(policy));
    apply_policies();
}

bool Vhost::delete_policy(std::string_view name) {
    auto it = policies_.find(name);
    if (it == policies_.end()) return false;
    policies_.erase(it);
    apply_policies();
    return true;
}

void Vhost::apply_policies() {
    for (auto& [name, queue] : queues_) queue->apply_policy(policy_for_queue(policies_, name));
}

void Vhost::maybe_auto_delete(Exchange& exchange) {
    // RabbitMQ: an auto-delete exchange is deleted when its last binding (as a source) is removed.
    if (exchange.auto_delete() && !exchange.has_bindings()) delete_exchange(exchange);
}

void Vhost::auto_delete_unbound(const std::vector<std::string>& exchange_names) {
    for (const std::string& name : exchange_names)
        if (Exchange* exchange = find_exchange(name)) maybe_auto_delete(*exchange);  // may be gone already
}

// Deleting an exchange can cascade: bindings into it disappear from other exchanges, which may
// leave an auto-delete exchange without bindings, which then goes too.
void Vhost::delete_exchange(Exchange& exchange) {
    bool durable = exchange.durable();
    std::string name = exchange.name();
    // Bindings *to* this exchange live in other exchanges; remove them first, then its own.
    // By name: auto-deleting one of them may delete another (a chain of auto-delete exchanges).
    std::vector<std::string> lost_a_binding;
    for (auto& [other_name, other] : exchanges_)
        if (other.get() != &exchange && other->unbind_all_to(&exchange) > 0) lost_a_binding.push_back(other_name);
    exchange_index_.erase(name);
    exchanges_.erase(name);
    auto_delete_unbound(lost_a_binding);
    if (durable) broker_.definitions_changed();
}

// Order matters: mark the queue deleted first, so channels holding its unacked messages (they keep
// a shared_ptr) settle them as no-ops; then consumers, bindings, messages, and last the map entry
// that owns the queue.
size_t Vhost::delete_queue(Queue& queue) {
    std::shared_ptr<Queue> keep = queue_ref(queue.name());  // the map holds the last reference
    if (!keep) return 0;
    queue.mark_deleted();
    // Cancel consumers: their channels send basic.cancel (consumer_cancel_notify) and forget them.
    std::vector<Consumer*> consumers = queue.consumers();
    for (Consumer* c : consumers) {
        queue.remove_consumer(*c);
        c->owner->cancelled_by_queue(*c);
    }
    std::vector<std::string> lost_a_binding;
    for (auto& [name, exchange] : exchanges_)
        if (exchange->unbind_all_to(&queue) > 0) lost_a_binding.push_back(name);
    size_t ready = queue.ready_count();
    queue.take_all();
    if (queue.durable())
        if (MessageStore* store = broker_.store()) store->queue_deleted(queue);
    bool durable = queue.durable();
    deadlines_.remove(&queue);
    queue_index_.erase(queue.name());
    queues_.erase(queue.name());
    auto_delete_unbound(lost_a_binding);
    if (durable) broker_.definitions_changed();
    return ready;
}

bool Vhost::unbind(Exchange& source, std::string_view destination, bool to_exchange, std::string_view key,
                   const amqp::FieldTable& args) {
    if (!source.unbind(destination, to_exchange, key, args)) return false;
    maybe_auto_delete(source);
    return true;
}

void Vhost::route(const Exchange& exchange, const RoutingInput& input, std::vector<Queue*>& queues,
                  std::vector<RouteStep>* trace) const {
    // A worklist rather than recursion: exchange-to-exchange bindings may chain thousands deep and
    // may form cycles (a -> b -> a). Each exchange is routed through, and each queue reached, at
    // most once per route: both are stamped with this route's number.
    queues.clear();
    const uint64_t mark = ++routes_;
    pending_.assign(1, &exchange);
    while (!pending_.empty()) {
        const Exchange& from = *pending_.back();
        pending_.pop_back();
        if (from.route_mark == mark) continue;
        from.route_mark = mark;
        auto reach = [&](Queue* queue, const Binding* binding) {
            if (queue->route_mark == mark) return;
            queue->route_mark = mark;
            queues.push_back(queue);
            if (trace) trace->push_back(RouteStep{&from, binding, queue});
        };
        if (from.name().empty()) {
            // The default exchange: every queue is bound to it by its own name, implicitly.
            if (Queue* queue = find_queue(input.routing_key)) reach(queue, nullptr);
            continue;
        }
        scratch_.clear();
        from.route(input, scratch_);
        for (const Binding* binding : scratch_) {
            if (binding->queue)
                reach(binding->queue, binding);
            else
                pending_.push_back(binding->exchange);
        }
        // Alternate exchange: where messages go that this exchange could not route anywhere.
        if (scratch_.empty()) {
            std::string_view alternate = from.alternate_exchange();
            if (!alternate.empty())
                if (Exchange* ae = find_exchange(alternate)) pending_.push_back(ae);
        }
    }
}

namespace {

// x-death: RabbitMQ's record of a message's deaths, newest first, one entry per (queue, reason):
//   {count, reason, queue, time, exchange, routing-keys, [original-expiration]}
void record_death(amqp::FieldTable& headers, const Queue& queue, const Message& message, DeathReason reason,
                  std::string_view original_expiration) {
    std::string_view reason_name = death_reason_name(reason);
    amqp::FieldArray deaths;
    if (const auto* existing = headers.find("x-death"))
        if (const auto* array = existing->array()) deaths = *array;
    int64_t count = 1;
    for (auto it = deaths.begin(); it != deaths.end(); ++it) {
        const amqp::FieldTable* entry = it->table();
        if (!entry) continue;
        const auto* q = entry->find("queue");
        const auto* r = entry->find("reason");
        if (q && r && q->string() && r->string() && *q->string() == queue.name() && *r->string() == reason_name) {
            if (const auto* c = entry->find("count")) {
                int64_t previous = c->integer().value_or(0);  // the client's header: any value
                count = previous < INT64_MAX ? previous + 1 : previous;
            }
            deaths.erase(it);
            break;
        }
    }
    amqp::FieldTable entry;
    entry.set("count", amqp::FieldValue{count});
    entry.set("reason", amqp::FieldValue{reason_name});
    entry.set("queue", amqp::FieldValue{std::string_view(queue.name())});
    auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    entry.set("time", amqp::FieldValue{amqp::Timestamp{static_cast<uint64_t>(seconds.count())}});
    entry.set("exchange", amqp::FieldValue{message.exchange()});
    entry.set("routing-keys", amqp::FieldValue{amqp::FieldArray{amqp::FieldValue{message.routing_key()}}});
    if (!original_expiration.empty()) entry.set("original-expiration", amqp::FieldValue{original_expiration});
    deaths.insert(deaths.begin(), amqp::FieldValue{std::move(entry)});
    headers.set("x-death", amqp::FieldValue{std::move(deaths)});
    if (!headers.find("x-first-death-reason")) {
        headers.set("x-first-death-reason", amqp::FieldValue{reason_name});
        headers.set("x-first-death-queue", amqp::FieldValue{std::string_view(queue.name())});
        headers.set("x-first-death-exchange", amqp::FieldValue{message.exchange()});
    }
}

// RabbitMQ drops a dead letter that would go round a cycle of queues without anyone rejecting it
// (e.g. two queues dead-lettering expired messages to each other forever).
bool is_cycle(const amqp::FieldTable& headers, const Queue& target) {
    const auto* deaths = headers.find("x-death");
    if (!deaths || !deaths->array()) return false;
    for (const auto& value : *deaths->array()) {
        const amqp::FieldTable* entry = value.table();
        if (!entry) continue;
        const auto* r = entry->find("reason");
        if (r && r->string() && *r->string() == "rejected") return false;
        const auto* q = entry->find("queue");
        if (q && q->string() && *q->string() == target.name()) return true;
    }
    return false;
}

}  // namespace

// Dead-lettering republishes a *new* message: same body and properties, plus the x-death record,
// minus the expiration (or it would expire again immediately), published to the dead-letter
// exchange with the dead-letter routing key if the queue set one, else the original key.
void Vhost::dead_letter(Queue& from, const QueuedMessage& queued, DeathReason reason) {
    const auto& settings = from.settings();
    if (!settings.dead_letter_exchange) return;
    Exchange* dlx = find_exchange(*settings.dead_letter_exchange);
    if (dlx == nullptr) {  // RabbitMQ drops it too (and logs); the queue may outlive its DLX
        broker_.trace_line("dead-letter queue={} seq={} reason={} -> exchange {} does not exist: dropped", from.name(),
                           queued.seq, death_reason_name(reason), *settings.dead_letter_exchange);
        return;
    }
    if (delivering_letters_ && ++cascade_letters_ > kMaxDeadLetterCascade) {
        if (cascade_letters_ == kMaxDeadLetterCascade + 1)
            mb::log::warn("vhost {}: one dead-letter cascade made {} letters; dropping the rest of it", name_,
                          kMaxDeadLetterCascade);
        return;
    }
    const Message& original = *queued.message;
    auto props = amqp::decode_properties(original.properties());
    if (!props) return;
    amqp::FieldTable headers = amqp::decode_headers(*props).value_or(amqp::FieldTable{});
    record_death(headers, from, original, reason, props->expiration);
    // The expiration is removed so the dead letter does not expire again at once.
    props->flags = static_cast<uint16_t>((props->flags | amqp::prop::headers) & ~amqp::prop::expiration);
    mb::ByteBuffer encoded;
    amqp::encode_properties(encoded, *props, &headers);
    std::string_view routing_key =
        settings.dead_letter_routing_key ? std::string_view(*settings.dead_letter_routing_key) : original.routing_key();
    MessageRef letter = Message::make(Message::Fields{*settings.dead_letter_exchange, routing_key, encoded.readable(),
                                                      original.body(), original.persistent(), original.priority(), -1});
    RoutingInput input{routing_key, letter->properties()};
    std::vector<Queue*> targets;
    route(*dlx, input, targets);
    if (broker_.trace) {
        std::string to;
        for (Queue* target : targets) to += fmt::format(" -> queue {}", target->name());
        broker_.trace_line("dead-letter queue={} seq={} reason={} -> exchange {} key={}{}", from.name(), queued.seq,
                           death_reason_name(reason), dlx->name(), routing_key, to.empty() ? " -> unroutable" : to);
    }
    for (Queue* target : targets)
        if (!is_cycle(headers, *target)) pending_letters_.emplace_back(target->shared_from_this(), letter);
    deliver_dead_letters();
}

// A dead letter's delivery can make its target drop a message (x-max-length 0, say), which is
// dead-lettered in turn. Those go on a list, delivered by the outermost call in a loop rather
// than by recursion, so a long chain of dead-letter queues cannot overflow the stack. And one
// event's cascade is bounded: N queues that dead-letter into a fanout bound to all of them make
// e*N! letters (the cycle check only stops a letter revisiting a queue on its own path).
void Vhost::deliver_dead_letters() {
    if (delivering_letters_) return;  // an outer call is delivering: ours joined its list
    delivering_letters_ = true;
    struct Done {
        Vhost& vhost;
        ~Done() {  // also if a publish throws: later letters must still go out
            vhost.delivering_letters_ = false;
            vhost.cascade_letters_ = 0;
        }
    } done{*this};
    while (!pending_letters_.empty()) {
        auto [target, letter] = std::move(pending_letters_.front());
        pending_letters_.pop_front();
        if (!target->deleted()) target->publish(std::move(letter));
    }
}

// Called every 50 ms by the server: expiry must also happen when nobody is consuming, or expired
// messages would never reach their dead-letter exchange. Only queues whose deadline has passed are
// visited (deadline_index.hpp): the head message's expiry, or x-expires' "unused since". A queue
// without either costs the tick nothing, so 10,000 idle queues make it no slower than one.
size_t Vhost::tick() {
    due_.clear();
    deadlines_.pop_due(broker_.now_ms(), due_);
    std::vector<Queue*> unused;
    for (Queue* queue : due_) {
        if (queue->ready_count() > 0) queue->expire_messages();
        if (queue->expired_unused())
            unused.push_back(queue);
        else
            queue->rearm();  // its next deadline, if it has one (a younger head, a later x-expires)
    }
    for (Queue* queue : unused) delete_queue(*queue);
    return due_.size();
}

}  // namespace minirabbit
