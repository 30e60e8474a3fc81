// minirabbit/model/consumer.hpp
//
// CONCEPT: a consumer - a subscription (basic.consume) through which a queue pushes messages to a
// channel. The queue decides *which* message goes to *which* consumer (FIFO, round-robin); the
// channel decides *whether* a consumer can take one now (prefetch credit, channel.flow, a full
// socket buffer) and turns a delivery into basic.deliver frames. ConsumerOwner is that channel, seen
// from the model: an interface, so model/ needs no sockets and unit tests can own consumers.
//
// READ NEXT: queue.cpp (dispatch), core/channel.cpp (the ConsumerOwner).
#pragma once

#include <cstdint>
#include <string>

#include "message.hpp"

namespace minirabbit {

class Queue;

// A message as a queue holds it.
struct QueuedMessage {
    MessageRef message;
    uint64_t seq = 0;          // the queue's own sequence number: order, requeue position, journal key
    int64_t expires_at = 0;    // ms on the broker clock; 0 = never
    bool redelivered = false;  // delivered before and requeued (the consumer may have seen it)
};

struct Consumer;

// The queue asks, the channel answers: can_deliver() is the channel's credit check (prefetch,
// flow, a full socket), deliver() writes basic.deliver and records the unacked delivery. Two calls
// are the whole contract between model/ and core/, which is why a unit test can stand in for a
// channel with a few lines.
class ConsumerOwner {
public:
    virtual bool can_deliver(const Consumer& consumer) const = 0;
    virtual void deliver(Consumer& consumer, Queue& queue, QueuedMessage message) = 0;
    // The queue went away under the consumer (queue.delete): RabbitMQ sends basic.cancel.
    virtual void cancelled_by_queue(Consumer& consumer) = 0;

protected:
    ~ConsumerOwner() = default;
};

struct Consumer {
    std::string tag;
    Queue* queue = nullptr;
    ConsumerOwner* owner = nullptr;
    bool no_ack = false;          // auto-ack: a message is settled the moment it is sent
    bool exclusive = false;       // no other consumer may share the queue
    uint16_t prefetch_count = 0;  // basic.qos (global=false): unacked messages allowed; 0 = no limit
    uint32_t unacked = 0;
    uint64_t delivered = 0;  // statistics
};

}  // namespace minirabbit
