// miniredis/model/consumer_group.hpp
//
// ConsumerGroup: a named reader of a stream that hands each entry to one of its consumers and
// remembers, per entry, who has it and whether it was acknowledged (Redis' streamCG).
//
// CONCEPT: the same idea as a Kafka consumer group - a group has a position in the log
// (`last_id`, Kafka's committed offset) and new entries go to one consumer of the group, not to
// all. What differs is the acknowledgement: Kafka commits one offset per partition ("everything
// before N is done"); Redis acknowledges entry by entry, like RabbitMQ's basic.ack. Until XACK,
// a delivered entry sits in the Pending Entries List (PEL) - RabbitMQ's "unacked" messages:
//
//   group "workers": last_id = 5-0, entries_read = 5
//     PEL   3-0 -> alice, delivered at t, 1 time      (in the group's PEL and in alice's)
//           4-0 -> bob,   delivered at t, 2 times     (redelivered once: XCLAIM)
//     consumers  alice {3-0}   bob {4-0}
//
// A consumer that crashes leaves its entries pending; another consumer sees them (XPENDING) and
// takes them over (XCLAIM / XAUTOCLAIM) once they have been idle long enough - there is no broker
// side redelivery timer, the consumers decide.
// READ NEXT: stream.hpp (the log itself), commands/streams.cpp (XREADGROUP, XACK, XCLAIM).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "stream_id.hpp"

namespace miniredis {

struct StreamConsumer;

// One delivered, not yet acknowledged entry (Redis' streamNACK).
// The PEL (pending entries list) is kept twice, as Redis does: once per group (ID -> who holds it,
// since when, how often delivered) and once per consumer (the IDs it holds). XPENDING over the whole
// group walks the first; XREADGROUP with an ID (a consumer's own history) and DELCONSUMER walk the
// second - each question is answered by a walk over exactly what it asks about.
//
//   group g  pel: 5-0 -> alice (count 1)   7-0 -> bob (count 3)   9-0 -> alice (count 1)
//   alice    pending: {5-0, 9-0}
//   bob      pending: {7-0}           (count 3: delivered three times - a poison entry?)
struct PendingEntry {
    StreamConsumer* consumer = nullptr;
    int64_t delivery_time = 0;  // Unix ms of the last delivery (XPENDING idle = now - this)
    uint64_t delivery_count = 1;
};

struct StreamConsumer {
    std::string name;
    int64_t seen_time = 0;       // last time it read or claimed (XINFO CONSUMERS idle)
    std::set<StreamID> pending;  // its share of the group's PEL
};

// A group is Kafka's consumer group with RabbitMQ's acknowledgements: last_id is the group's
// committed offset (where ">" continues), the PEL is the set of deliveries not yet acked. Unlike a
// Kafka group, the work is not split by partition but entry by entry, to whichever consumer reads.
struct ConsumerGroup {
    static constexpr int64_t kEntriesReadUnknown = -1;  // Redis' SCG_INVALID_ENTRIES_READ

    StreamID last_id;                            // last entry delivered with ">"
    int64_t entries_read = kEntriesReadUnknown;  // logical position: how many entries it has read
    std::map<StreamID, PendingEntry> pel;        // the group's PEL, by ID
    std::map<std::string, std::unique_ptr<StreamConsumer>, std::less<>> consumers;  // sorted, as Redis

    StreamConsumer* consumer(std::string_view name) {
        auto it = consumers.find(name);
        return it == consumers.end() ? nullptr : it->second.get();
    }
    // The consumer, created if needed (XREADGROUP and XCLAIM create consumers implicitly).
    StreamConsumer& consumer_or_create(std::string_view name, int64_t now, bool* created = nullptr) {
        auto it = consumers.find(name);
        if (created) *created = it == consumers.end();
        if (it != consumers.end()) return *it->second;
        auto c = std::make_unique<StreamConsumer>();
        c->name = name;
        c->seen_time = now;
        return *consumers.emplace(std::string(name), std::move(c)).first->second;
    }
    // Drops a consumer and its pending entries (XGROUP DELCONSUMER); returns how many it had.
    size_t remove_consumer(std::string_view name) {
        auto it = consumers.find(name);
        if (it == consumers.end()) return 0;
        size_t n = it->second->pending.size();
        for (const StreamID& id : it->second->pending) pel.erase(id);
        consumers.erase(it);
        return n;
    }
    // Delivers (or redelivers) `id` to `c`: it moves into c's PEL.
    // One function for first delivery, redelivery and XCLAIM: the entry moves to `c`'s list (leaving the
    // previous holder's), and its delivery time restarts - which is what XAUTOCLAIM's idle test reads.
    PendingEntry& assign(StreamID id, StreamConsumer& c, int64_t now) {
        auto [it, inserted] = pel.try_emplace(id);
        if (!inserted && it->second.consumer && it->second.consumer != &c) it->second.consumer->pending.erase(id);
        it->second.consumer = &c;
        it->second.delivery_time = now;
        c.pending.insert(id);
        return it->second;
    }
    // XACK: true if it was pending.
    bool ack(StreamID id) {
        auto it = pel.find(id);
        if (it == pel.end()) return false;
        it->second.consumer->pending.erase(id);
        pel.erase(it);
        return true;
    }
};

}  // namespace miniredis
