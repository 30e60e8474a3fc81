// miniredis/model/encoding.hpp
//
// Encodings: what OBJECT ENCODING answers, and what MEMORY USAGE estimates, for our values.
//
// CONCEPT: Redis stores a small value compactly and switches to a general structure when it
// grows past a threshold - the trade is memory (a listpack is one allocation of packed bytes)
// against speed (O(n) scans in a listpack are only cheap while n is small):
//
//   type    small                                  large                 switch when (redis.conf)
//   string  int    (an integer fitting 64 bits)    raw (> 44 bytes)      embstr: <= 44 bytes,
//           embstr (short text, one allocation)                          in the object's allocation
//   list    quicklist (Redis 7.0: always; a linked list of listpacks)
//   hash    listpack                               hashtable             > 512 fields or a field
//                                                                        or value > 64 bytes
//   set     intset (only integers)                 hashtable             > 512 members or a non-integer
//   zset    listpack                               skiplist              > 128 members or one > 64 bytes
//
// miniredis keeps one structure per type (model/value.hpp), so it *reports* the encoding Redis
// would have chosen for the value as it is now - enough for the lecture and for tools that look
// (redis-cli --memkeys, RedisInsight). One difference remains: Redis never converts back (a hash
// that once had 129 fields stays a hashtable after HDEL), we answer from the current content.
//
// READ NEXT: commands/introspection.cpp (OBJECT, MEMORY USAGE), model/value.hpp.
#pragma once

#include <cstddef>
#include <string_view>

#include "value.hpp"

namespace miniredis {

// Redis 7.0's defaults for the thresholds above.
inline constexpr size_t kEmbstrMaxBytes = 44;
inline constexpr size_t kHashMaxListpackEntries = 512,
                        kHashMaxListpackValue = 64;  // (redis.conf says 128; the built-in default is 512)
inline constexpr size_t kSetMaxIntsetEntries = 512;
inline constexpr size_t kZsetMaxListpackEntries = 128, kZsetMaxListpackValue = 64;

std::string_view object_encoding(Value& value);

// Bytes the key and its value take, roughly as Redis' MEMORY USAGE counts them: the key, the
// entry in the keyspace, the value's structure and its elements. Containers with more than
// `samples` elements are estimated from the first `samples` (0 = look at all of them).
size_t memory_usage(std::string_view key, Value& value, size_t samples);

}  // namespace miniredis
