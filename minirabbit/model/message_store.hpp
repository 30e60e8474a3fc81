// minirabbit/model/message_store.hpp
//
// The model's window onto durability: a queue announces each change to a persistent message in a
// durable queue, and storage/journal.cpp (which implements this) writes it down. The arrow points
// from storage to the model - the model knows only this interface, not files or fsync.
//
// CONCEPT: dependency inversion again (as core/transport.hpp): the arrow of knowledge points down
// (storage/ knows model/), the call goes up through this interface at run time.
//
//   Queue::enqueue (persistent, durable queue) ──▶ MessageStore::on_publish ──▶ Journal appends
// READ NEXT: storage/journal.hpp.
#pragma once

#include <cstdint>

namespace minirabbit {

class Queue;
struct QueuedMessage;

class MessageStore {
public:
    virtual void enqueued(const Queue& queue, const QueuedMessage& message) = 0;
    virtual void removed(const Queue& queue, const QueuedMessage& message) = 0;  // acked, dropped, expired, purged
    virtual void queue_deleted(const Queue& queue) = 0;                          // every message of it is garbage now
    // Positions in the journal: a publisher confirm for a message is sent once synced() has
    // reached the appended() value seen right after the message was enqueued.
    virtual uint64_t appended() const = 0;
    virtual uint64_t synced() const = 0;

protected:
    ~MessageStore() = default;
};

}  // namespace minirabbit
