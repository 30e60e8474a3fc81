// miniredis/core/eviction.hpp
//
// Eviction: what happens when the data reaches `maxmemory` (Redis' evict.c).
//
// CONCEPT: a cache must forget something to make room. Before every command that may allocate
// (flag kDenyOom), the server compares used_memory with maxmemory and, while over, deletes keys
// chosen by maxmemory-policy:
//   noeviction      delete nothing: the write is refused with -OOM (reads still work)
//   allkeys-lru     the least recently used key of all        (a pure cache)
//   volatile-lru    the least recently used key that has a TTL (cache + persistent keys mixed)
//   allkeys-random / volatile-random   any key / any key with a TTL
//   volatile-ttl    the key with a TTL that would expire soonest anyway
// LRU is *approximate*, as in Redis: keeping every key in a linked list ordered by access would
// cost two pointers per key and a list update per read. Instead each value remembers when it was
// last used (Value::lru), and eviction samples `maxmemory-samples` keys, keeping the best
// candidates seen so far in a small pool across calls; with 5 samples the result is close to true
// LRU at a fraction of the cost.
//
//   write, used_memory > maxmemory ──▶ free_memory_if_needed
//       ──▶ refill_pool: sample maxmemory-samples keys per db, score them (idle time, or TTL)
//       ──▶ delete the best candidate, propagate its DEL ──▶ still over? again : run the command
// READ NEXT: eviction.cpp, model/memory.hpp (what used_memory counts), model/lfu.hpp,
//            docs/miniredis/README.md (concept map: caching).
#pragma once

namespace miniredis {

class Broker;

// Evicts until used_memory <= maxmemory. False when that is impossible (noeviction, or nothing
// left that the policy may delete): the caller then refuses the command with -OOM.
bool free_memory_if_needed(Broker& server);

}  // namespace miniredis
