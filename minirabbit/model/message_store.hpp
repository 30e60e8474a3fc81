// minirabbit/model/message_store.hpp
//
// The model's window onto durability: a queue announces each change to a persistent message in a
// durable queue, and storage/journal.cpp (which implements this) writes it down. The arrow points
// from storage to the model - the model knows only this interface, not files or fsync.
//
// CONCEPT: dependency inversion again (as core/transport.hpp): the arrow of knowledge points down
// (storage/ knows model/), the call goes up through this interface at run time.
//
//   Queue::enqueue (persistent, durable queue) ──▶ MessageStore::enqueued ──▶ Journal appends
//   Queue over its body budget ──▶ MessageStore::page_out ──▶ body dropped, record position kept
//   delivery of a paged message ──▶ MessageStore::load ──▶ pread of the record
// READ NEXT: storage/journal.hpp.
#pragma once

#include <cstdint>

#include "message.hpp"

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

    // Bodies out of RAM (queue.cpp, Queue::page_out): a queue over its body budget hands the store a
    // message whose body the store holds on disk; the store swaps `message.message` for a paged copy
    // (Message::make_paged) and keeps the record's position. load() reads the body back for delivery.
    enum class PageOut {
        paged,            // done: message.message is now the paged copy
        not_on_disk_yet,  // its record is not fsynced yet: ask again after the next sync
        not_stored,       // the store does not hold this message: it stays in RAM
    };
    virtual PageOut page_out(const Queue& queue, QueuedMessage& message) = 0;
    virtual MessageRef load(const Queue& queue, const QueuedMessage& message) = 0;

protected:
    ~MessageStore() = default;
};

}  // namespace minirabbit
