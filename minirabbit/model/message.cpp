// minirabbit/model/message.cpp
//
// Message storage: one block per message, freed when the last queue (or unacked delivery) lets go.
//
// CONCEPT: see message.hpp - a message is immutable once made, so sharing it between queues needs
// no copying and no locking, only a reference count. The fields are laid out in one allocation
// (routing data, property bytes, body), because a broker under load is mostly allocating and
// freeing messages, and one malloc per message instead of four is measurable.
// READ NEXT: queue.cpp.
#include "message.hpp"

#include <cstring>
#include <new>

namespace minirabbit {

size_t Message::live_bytes_ = 0;

MessageRef Message::make(const Fields& f) {
    // Exchange names and routing keys are AMQP shortstrs: at most 255 bytes, so a byte holds the size.
    std::string_view exchange = f.exchange.substr(0, 255), routing_key = f.routing_key.substr(0, 255);
    size_t extra = exchange.size() + routing_key.size() + f.properties.size() + f.body.size();
    void* block = ::operator new(sizeof(Message) + extra);
    auto* m = new (block) Message();
    m->exchange_size_ = static_cast<uint8_t>(exchange.size());
    m->routing_key_size_ = static_cast<uint8_t>(routing_key.size());
    m->properties_size_ = static_cast<uint32_t>(f.properties.size());
    m->body_size_ = f.body.size();
    m->persistent_ = f.persistent;
    m->priority_ = f.priority;
    m->ttl_ms_ = f.ttl_ms;
    char* p = m->data();
    for (std::string_view part : {exchange, routing_key, f.properties, f.body}) {
        if (!part.empty()) std::memcpy(p, part.data(), part.size());
        p += part.size();
    }
    live_bytes_ += m->memory_size();
    return MessageRef(m);
}

// A paged copy: the same header and routing data, no body bytes - the block shrinks from header +
// body to header alone, which is the whole point (a queue of 10M such messages fits in RAM).
MessageRef Message::make_paged(const Message& full) {
    return make_paged(Fields{full.exchange(),
                             full.routing_key(),
                             full.properties(),
                             {},
                             full.persistent(),
                             full.priority(),
                             full.ttl_ms()},
                      full.body_size());
}

MessageRef Message::make_paged(Fields header, size_t body_size) {
    header.body = {};
    MessageRef m = make(header);
    Message& paged = *m.message_;
    live_bytes_ -= paged.memory_size();
    paged.body_size_ = body_size;
    paged.body_paged_ = true;
    live_bytes_ += paged.memory_size();
    return m;
}

// The last reference frees the block. The count is not atomic: messages live on the broker thread
// only (the journal's sync thread gets bytes, never a MessageRef), so a plain integer suffices and
// costs nothing. live_bytes_ (all messages alive) feeds Broker::memory_in_use, the message side of
// the memory figures.
void MessageRef::release() {
    if (message_ && --message_->refs_ == 0) {
        Message::live_bytes_ -= message_->memory_size();
        message_->~Message();
        ::operator delete(message_);
    }
    message_ = nullptr;
}

}  // namespace minirabbit
