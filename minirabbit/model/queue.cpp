// minirabbit/model/queue.cpp
//
// The queue: FIFO order, round-robin dispatch, TTL, overflow, priorities (see queue.hpp).
//
// Data layout: one std::deque per priority level (just one for an ordinary queue, `level0_`, kept
// inside the object; x-max-priority adds `upper_levels_`).
// Within a level, messages are sorted by `seq`, the number the queue gave each message on arrival;
// publishing appends (seq only grows), delivering pops the front, and requeueing puts a message
// back by seq - so "original position" is a binary search, not a bookkeeping problem.
// Counters (ready_count_, ready_bytes_, unacked_count_) are kept as we go, because max-length
// checks and the admin API ask for them all the time.
//
// CONCEPT: see queue.hpp. Dispatch is the heart: after every change that could make a delivery
// possible (a publish, an ack that frees credit, a new consumer), dispatch() hands ready messages to
// consumers in turn until no consumer can take one. Round-robin means the consumer after the last
// one served goes first, so two equal workers share a queue evenly - RabbitMQ's "fair dispatch"
// needs basic.qos prefetch as well, so a slow worker is not handed work it cannot start.
//
//   ready [m4 m5 m6] ──dispatch──▶ A(credit 1): m4   B(credit 1): m5   A: no credit ──▶ m6 waits
//   basic.ack m4 ──▶ A has credit ──▶ dispatch ──▶ A: m6
// READ NEXT: vhost.cpp (dead-lettering), core/channel.cpp (deliver, settle),
//            docs/minirabbit/01-follow-a-publish.md §6-§7.
#include "queue.hpp"

#include <algorithm>

#include "broker.hpp"
#include "log.hpp"
#include "vhost.hpp"

namespace minirabbit {

// The reasons as RabbitMQ spells them in the x-death header and in logs: a consumer that reads
// x-death[0].reason sees the same word from either broker.
std::string_view death_reason_name(DeathReason reason) {
    switch (reason) {
        case DeathReason::rejected:
            return "rejected";
        case DeathReason::expired:
            return "expired";
        case DeathReason::maxlen:
            return "maxlen";
    }
    return "rejected";
}

Queue::Queue(Vhost& vhost, std::string name, bool durable, bool exclusive, bool auto_delete, amqp::FieldTable arguments,
             QueueArguments parsed, uint64_t exclusive_owner)
    : vhost_(vhost),
      name_(std::move(name)),
      durable_(durable),
      auto_delete_(auto_delete),
      upper_levels_(parsed.max_priority),
      arguments_(std::move(arguments)),
      settings_(parsed),
      declared_settings_(std::move(parsed)),
      exclusive_owner_(exclusive ? exclusive_owner : 0),
      last_used_(vhost.broker().now_ms()) {
    settings_changed();
}

// A publish asks "any length limit? a queue TTL?" through two flags among the hot fields, so a
// queue without either never reads its settings (four cache lines further into the object).
void Queue::settings_changed() {
    limited_ = settings_.max_length.has_value() || settings_.max_length_bytes.has_value();
    queue_ttl_ = settings_.message_ttl.has_value();
}

Queue::HotSpan Queue::publish_hot_span() const {
    const char* base = reinterpret_cast<const char*>(this);
    size_t low = SIZE_MAX, high = 0;
    bool inside = true;
    auto field = [&](const void* address, size_t size) {
        const char* p = static_cast<const char*>(address);
        if (p < base || p + size > base + sizeof(Queue)) inside = false;
        low = std::min(low, static_cast<size_t>(p - base));
        high = std::max(high, static_cast<size_t>(p - base) + size);
    };
    // What Vhost::route, Queue::publish, Queue::dispatch and Channel::publish touch.
    field(&route_mark, sizeof route_mark);
    field(&name_, sizeof name_);
    field(&ready_count_, sizeof ready_count_);
    field(&ready_bytes_, sizeof ready_bytes_);
    field(&next_seq_, sizeof next_seq_);
    field(&durable_, sizeof durable_);
    field(&deleted_, sizeof deleted_);
    field(&dispatching_, sizeof dispatching_);
    field(&limited_, sizeof limited_);
    field(&queue_ttl_, sizeof queue_ttl_);
    field(&consumers_, sizeof consumers_);
    field(&upper_levels_, sizeof upper_levels_);
    field(&level(0), sizeof(std::deque<QueuedMessage>));
    field(&stats_.published, sizeof stats_.published);
    return {high - low, inside};
}

Queue::~Queue() = default;

// The queue keeps what the application declared and recomputes the effective settings from it on
// every policy change - applying a policy is never destructive.
void Queue::apply_policy(const Policy* policy) {
    settings_ = effective_settings(declared_settings_, policy);
    settings_changed();
    policy_name_ = policy ? policy->name : "";
    rearm();  // a policy may bring an x-expires or a TTL
}

// Time comes from the broker's clock, never from std::chrono directly: unit tests replace the
// clock and move time forward by hand (queue_test.cpp), so TTL tests need no sleeps.
int64_t Queue::now() const { return vhost_.broker().now_ms(); }

void Queue::touch() {
    last_used_ = now();
    // A later x-expires deadline: arming it is a no-op while an earlier one is armed (that one
    // fires, finds the queue used since, and re-arms at the right time) - so touching is O(1).
    if (settings_.expires && consumers_.empty()) rearm();
}

// The tick's work for this queue is due at the earliest of: the head message's expiry in any
// priority level (expiry happens at the head only, so the head's deadline is the one that counts),
// and the x-expires moment if nobody consumes. Saturating: x-expires is a client's number.
int64_t Queue::next_deadline() const {
    int64_t deadline = 0;
    auto consider = [&](int64_t t) {
        if (t != 0 && (deadline == 0 || t < deadline)) deadline = t;
    };
    for (size_t i = 0; i < level_count(); ++i)
        if (!level(i).empty()) consider(level(i).front().expires_at);
    if (settings_.expires && consumers_.empty())
        consider(*settings_.expires > INT64_MAX - last_used_ ? INT64_MAX : last_used_ + *settings_.expires);
    return deadline;
}

void Queue::rearm() {
    if (deleted_) return;
    if (int64_t deadline = next_deadline()) vhost_.arm_deadline(*this, deadline);
}

// x-expires: a queue nobody consumes from and nobody polls for that long deletes itself (checked on
// the broker's tick) - the cleanup for queues left behind by clients that crashed.
bool Queue::expired_unused() const {
    return settings_.expires && consumers_.empty() && now() - last_used_ >= *settings_.expires;
}

bool Queue::has_exclusive_consumer() const {
    return std::any_of(consumers_.begin(), consumers_.end(), [](const Consumer* c) { return c->exclusive; });
}

// Priorities above x-max-priority count as the maximum, as in RabbitMQ; without x-max-priority
// there is one level and the priority property is ignored.
size_t Queue::level_index_for(const Message& message) const {
    return message.priority() == 0 ? 0 : std::min<size_t>(message.priority(), upper_levels_.size());
}

// The next message out is the front of the highest non-empty level: a strict priority order, so
// a steady stream of high-priority messages can starve the low ones (RabbitMQ behaves the same).
QueuedMessage* Queue::head() {
    for (size_t i = level_count(); i-- > 0;)
        if (!level(i).empty()) return &level(i).front();
    return nullptr;
}

QueuedMessage Queue::pop_head(bool load) {
    for (size_t i = level_count(); i-- > 0;) {
        auto& from = level(i);
        if (from.empty()) continue;
        QueuedMessage m = std::move(from.front());
        from.pop_front();
        --ready_count_;
        ready_bytes_ -= m.message->body_size();
        if (m.message->body_paged()) {
            // Paged: the body is on disk only. Read it back now - the price of capacity is one
            // pread per delivery from the deep part of the queue (page cache permitting, no disk).
            --paged_count_;
            paged_bytes_ -= m.message->body_size();
            if (load) {
                if (MessageStore* store = vhost_.broker().store())
                    m.message = store->load(*this, m);
                else
                    mb::log::error("queue {}: message {} is paged out and no store is open", name_, m.seq);
            }
        }
        return m;
    }
    return {};
}

// Over budget: the bytes of ready bodies in RAM, this message's included, exceed the budget.
// Only messages the journal holds can be paged; the queue remembers the seq and the broker calls
// page_out() after the next fsync, when the record can be read back.
void Queue::note_for_paging(const QueuedMessage& entry) {
    const uint64_t budget = vhost_.broker().queue_body_budget;
    if (budget == UINT64_MAX || !journaled(entry) || ready_bytes_ - paged_bytes_ <= budget) return;
    to_page_.emplace_back(entry.seq, static_cast<uint8_t>(level_index_for(*entry.message)));
    if (!paging_listed_) {
        paging_listed_ = true;
        vhost_.broker().page_out_later(shared_from_this());
    }
}

// Oldest first, so the records asked for are the ones fsynced first: the loop stops at the first
// message not on disk yet (everything behind it is younger). A message delivered, purged or
// already paged meanwhile is skipped; one the consumers made room for stays in RAM.
size_t Queue::page_out(MessageStore& store) {
    size_t paged = 0;
    const uint64_t budget = vhost_.broker().queue_body_budget;
    while (!to_page_.empty()) {
        auto [seq, level_index] = to_page_.front();
        if (level_index >= level_count() || ready_bytes_ - paged_bytes_ <= budget) {
            to_page_.pop_front();
            continue;
        }
        auto& in = level(level_index);
        auto it =
            std::lower_bound(in.begin(), in.end(), seq, [](const QueuedMessage& m, uint64_t s) { return m.seq < s; });
        if (it == in.end() || it->seq != seq || it->message->body_paged()) {
            to_page_.pop_front();
            continue;
        }
        const uint64_t size = it->message->body_size();
        MessageStore::PageOut result = store.page_out(*this, *it);
        if (result == MessageStore::PageOut::not_on_disk_yet) break;  // the next fsync brings us back
        to_page_.pop_front();
        if (result != MessageStore::PageOut::paged) continue;
        ++paged_count_;
        paged_bytes_ += size;
        ++paged;
    }
    if (to_page_.empty()) paging_listed_ = false;
    return paged;
}

void Queue::insert_in_order(QueuedMessage message) {
    // Requeued messages go back where they were: the level stays sorted by seq. They are usually
    // the oldest, so the search ends near the front.
    auto& into = level_for(*message.message);
    auto at = std::lower_bound(into.begin(), into.end(), message.seq,
                               [](const QueuedMessage& m, uint64_t seq) { return m.seq < seq; });
    if (message.expires_at != 0) vhost_.arm_deadline(*this, message.expires_at);  // back at the head, maybe
    ready_bytes_ += message.message->body_size();
    ++ready_count_;
    into.insert(at, std::move(message));
}

// Limits count *ready* messages only: delivered-but-unacked ones are the consumers' business, as in
// RabbitMQ. `extra_*` asks "would one more message of this size fit?" (reject-publish).
bool Queue::over_limit(size_t extra_count, uint64_t extra_bytes) const {
    return (settings_.max_length && ready_count_ + extra_count > static_cast<uint64_t>(*settings_.max_length)) ||
           (settings_.max_length_bytes &&
            ready_bytes_ + extra_bytes > static_cast<uint64_t>(*settings_.max_length_bytes));
}

Queue::PublishResult Queue::publish(MessageRef message) {
    ++stats_.published;
    if (limited_ && settings_.overflow != Overflow::drop_head && over_limit(1, message->body_size())) {
        // reject-publish: the newest message is refused (the publisher gets basic.nack in confirm
        // mode); reject-publish-dlx also dead-letters it.
        if (settings_.overflow == Overflow::reject_publish_dlx)
            vhost_.dead_letter(*this, QueuedMessage{message, 0, 0, false}, DeathReason::maxlen);
        ++stats_.dropped;
        return PublishResult::rejected;
    }
    QueuedMessage entry{std::move(message), next_seq_++, 0, false};
    // The queue's TTL and the message's own expiration both apply; the earlier one wins.
    int64_t ttl = entry.message->ttl_ms();
    if (queue_ttl_ && (ttl < 0 || *settings_.message_ttl < ttl)) ttl = *settings_.message_ttl;
    if (ttl >= 0) entry.expires_at = deadline_after(ttl);
    // Journal before the message can be delivered: even a message consumed at once must be on disk
    // if a publisher confirm is going to promise that it is.
    if (journaled(entry))
        if (MessageStore* store = vhost_.broker().store()) store->enqueued(*this, entry);
    // A deadline for the tick. Not always the head's, but never earlier than needed: if the head
    // expires later, the tick finds nothing to do at this one and re-arms at the head's.
    if (entry.expires_at != 0) vhost_.arm_deadline(*this, entry.expires_at);
    ready_bytes_ += entry.message->body_size();
    ++ready_count_;
    if (vhost_.broker().store()) note_for_paging(entry);  // (no journal: nowhere to read a body back from)
    level_for(*entry.message).push_back(std::move(entry));
    // drop-head: make room by dropping (dead-lettering) the oldest.
    while (limited_ && over_limit(0, 0) && ready_count_ > 0)
        drop(pop_head(settings_.dead_letter_exchange.has_value()), DeathReason::maxlen);
    // Deliver right away if a consumer has credit: the publisher's read batch pushes the message
    // into the consumer's output buffer, so an idle consumer gets it within one event-loop turn.
    dispatch();
    return PublishResult::enqueued;
}

int64_t Queue::deadline_after(int64_t ttl_ms) const {
    // TTLs come from clients (expiration "9223372036854775807" is a valid one): a deadline past
    // the end of time is the end of time, not an overflow into the past.
    int64_t start = now();
    return ttl_ms > INT64_MAX - start ? INT64_MAX : start + ttl_ms;
}

void Queue::restore(MessageRef message, uint64_t seq) {
    // redelivered = true: it may have been delivered before the restart, and the journal does not
    // record deliveries (RabbitMQ's queue index does; see docs/minirabbit/03). Its TTL restarts.
    QueuedMessage entry{std::move(message), seq, 0, true};
    if (settings_.message_ttl) entry.expires_at = deadline_after(*settings_.message_ttl);
    if (seq >= next_seq_) next_seq_ = seq + 1;
    // Restored in seq order, so the same rule as publish: past the budget, page out (the record
    // is on disk already; Journal::recover asks for it when every queue is restored).
    insert_in_order(entry);
    if (entry.message->body_paged()) {  // recovery left its body on disk (Journal::recover)
        ++paged_count_;
        paged_bytes_ += entry.message->body_size();
    } else {
        note_for_paging(entry);
    }
}

// had_consumer_ remembers that the queue was ever consumed: an auto-delete queue goes when its last
// consumer leaves, but not before the first one arrived.
void Queue::add_consumer(Consumer& consumer) {
    consumers_.push_back(&consumer);
    had_consumer_ = true;
    touch();
}

void Queue::remove_consumer(Consumer& consumer) {
    auto it = std::find(consumers_.begin(), consumers_.end(), &consumer);
    if (it == consumers_.end()) return;
    size_t index = static_cast<size_t>(it - consumers_.begin());
    consumers_.erase(it);
    if (next_consumer_ > index) --next_consumer_;
    if (next_consumer_ >= consumers_.size()) next_consumer_ = 0;
    touch();
}

void Queue::dispatch() {
    // A delivery can make a channel flush or close, which may call back into dispatch(): the flag
    // keeps the loop single and its cursor valid.
    if (dispatching_ || deleted_) return;
    dispatching_ = true;
    while (ready_count_ > 0 && !consumers_.empty()) {
        QueuedMessage* next = head();
        if (next->expires_at != 0 && next->expires_at <= now()) {
            drop(pop_head(settings_.dead_letter_exchange.has_value()), DeathReason::expired);
            ++stats_.expired;
            continue;
        }
        // Round-robin: start after the consumer served last; take the first with credit.
        Consumer* chosen = nullptr;
        for (size_t tried = 0; tried < consumers_.size(); ++tried) {
            Consumer* candidate = consumers_[next_consumer_];
            next_consumer_ = (next_consumer_ + 1) % consumers_.size();
            if (candidate->owner->can_deliver(*candidate)) {
                chosen = candidate;
                break;
            }
        }
        if (chosen == nullptr) break;  // everyone is busy: the next ack or drained socket resumes us
        QueuedMessage message = pop_head();
        ++stats_.delivered;
        ++chosen->delivered;
        if (message.redelivered) ++stats_.redelivered;
        if (chosen->no_ack) {
            ++stats_.delivered_no_ack;
            delivered_no_ack(message);
        } else {
            ++unacked_count_;
            ++chosen->unacked;
        }
        chosen->owner->deliver(*chosen, *this, std::move(message));
    }
    dispatching_ = false;
}

// basic.get's side: expired messages at the head are dropped first (a pull must not return a
// message past its TTL), then the head is handed out and counted as unacked until settled.
std::optional<QueuedMessage> Queue::get() {
    touch();
    expire_messages();
    if (ready_count_ == 0) return std::nullopt;
    QueuedMessage message = pop_head();
    ++stats_.delivered;
    ++stats_.fetched;
    ++unacked_count_;
    return message;
}

// The end of a message's life in this queue: the journal gets a remove record, so after a restart
// the message does not come back. An ack on a queue deleted meanwhile changes nothing.
void Queue::ack(const QueuedMessage& message) {
    if (unacked_count_ > 0) --unacked_count_;
    ++stats_.acked;
    if (!deleted_ && journaled(message))
        if (MessageStore* store = vhost_.broker().store()) store->removed(*this, message);
}

void Queue::delivered_no_ack(const QueuedMessage& message) {
    ++stats_.acked;
    if (journaled(message))
        if (MessageStore* store = vhost_.broker().store()) store->removed(*this, message);
}

// Back to its original position (by seq), flagged redelivered: the consumer that gets it next can
// tell it may have been processed once already - the visible cost of at-least-once delivery.
void Queue::requeue(QueuedMessage message) {
    if (unacked_count_ > 0) --unacked_count_;
    if (deleted_) return;
    message.redelivered = true;
    vhost_.broker().trace_line("requeue queue={} seq={} -> back at its original position, redelivered=true", name_,
                               message.seq);
    insert_in_order(std::move(message));
}

void Queue::reject(QueuedMessage message) {
    if (unacked_count_ > 0) --unacked_count_;
    if (deleted_) return;
    drop(std::move(message), DeathReason::rejected);
}

// Every way a message can leave without being acked - expired, rejected, pushed out by a length
// limit - funnels here, so dead-lettering and the journal's remove record happen in one place.
void Queue::drop(QueuedMessage message, DeathReason reason) {
    ++stats_.dropped;
    // --trace: reason expired (TTL passed), rejected (nack/reject without requeue), maxlen (x-max-length).
    // With a dead-letter exchange, Vhost::dead_letter says where the message went instead.
    if (!settings_.dead_letter_exchange)
        vhost_.broker().trace_line(
            "drop queue={} seq={} reason={} -> discarded (the queue has no dead-letter exchange)", name_, message.seq,
            death_reason_name(reason));
    if (settings_.dead_letter_exchange) vhost_.dead_letter(*this, message, reason);
    if (journaled(message))
        if (MessageStore* store = vhost_.broker().store()) store->removed(*this, message);
}

void Queue::expire_messages() {
    // RabbitMQ expires only from the head: a message behind a longer-lived one waits its turn
    // (cheap, and order stays FIFO). With one TTL per queue the head is always the oldest anyway.
    int64_t t = now();
    while (QueuedMessage* next = head()) {
        if (next->expires_at == 0 || next->expires_at > t) break;
        ++stats_.expired;
        drop(pop_head(settings_.dead_letter_exchange.has_value()), DeathReason::expired);
    }
}

// queue.purge: ready messages only, each removed from the journal; the count is the reply.
size_t Queue::purge() {
    size_t count = ready_count_;
    MessageStore* store = vhost_.broker().store();
    for (size_t i = 0; i < level_count(); ++i) {
        for (auto& m : level(i))
            if (store && journaled(m)) store->removed(*this, m);
        level(i).clear();
    }
    ready_count_ = 0;
    ready_bytes_ = 0;
    paged_count_ = 0;
    paged_bytes_ = 0;
    to_page_.clear();
    return count;
}

std::vector<QueuedMessage> Queue::take_all() {
    std::vector<QueuedMessage> all;
    for (size_t i = 0; i < level_count(); ++i) {
        for (auto& m : level(i)) all.push_back(std::move(m));
        level(i).clear();
    }
    ready_count_ = 0;
    ready_bytes_ = 0;
    paged_count_ = 0;
    paged_bytes_ = 0;
    to_page_.clear();
    return all;
}

}  // namespace minirabbit
