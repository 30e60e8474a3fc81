// miniredis/model/value.hpp
//
// Value: what a key holds - one of Redis' data types (Redis' `robj`).
//
//   string  SmallString                      SET/GET/INCR/APPEND - also counters (decimal text)
//   list    deque of SmallString             LPUSH/RPOP - queues and stacks, O(1) at both ends
//   hash    Dict field -> SmallString        HSET/HGET - an object's fields (a user session)
//   set     Dict member -> nothing           SADD/SISMEMBER - unique members, set algebra
//   zset    ZSet (skiplist + Dict)           ZADD/ZRANGE - leaderboards, priority queues
//   stream  Stream (blocks of entries)       XADD/XREADGROUP - a log with consumer groups
//
// Strings live inline in the variant (no extra allocation for short ones); containers behind a
// pointer, so every Value is 32 bytes. `lru` is the last access time in seconds, the clock that
// approximate-LRU eviction samples (Redis keeps 24 bits of it in every robj).
// REAL REDIS: also has compact encodings (int, listpack, intset) for small values.
//
// CONCEPT: one tagged value per key, the data types of the course notes' Redis part ("strings,
// hashes, lists, sets, sorted sets, and more"). Each type is the structure that makes its typical
// commands cheap; TYPE and OBJECT ENCODING report what Redis would.
// READ NEXT: value.cpp, small_string.hpp, zset.hpp, stream.hpp, encoding.hpp.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <variant>

#include "dict.hpp"
#include "small_string.hpp"
#include "stream.hpp"
#include "zset.hpp"

namespace miniredis {

enum class Type : uint8_t { string, list, hash, set, zset, stream };  // order = variant index below

struct Empty {};
using List = std::deque<SmallString>;
using Hash = Dict<SmallString, SmallString>;
using Set = Dict<SmallString, Empty>;

struct Value {
    using Data = std::variant<SmallString, std::unique_ptr<List>, std::unique_ptr<Hash>, std::unique_ptr<Set>,
                              std::unique_ptr<ZSet>, std::unique_ptr<Stream>>;
    Data data;
    uint32_t lru = 0;

    Type type() const { return static_cast<Type>(data.index()); }
    SmallString* string() { return std::get_if<SmallString>(&data); }
    List* list() { return as<List>(); }
    Hash* hash() { return as<Hash>(); }
    Set* set() { return as<Set>(); }
    ZSet* zset() { return as<ZSet>(); }
    Stream* stream() { return as<Stream>(); }

    static Value of_string(std::string_view s) { return Value{SmallString(s)}; }
    template <typename T>
    static Value of() {
        return Value{std::make_unique<T>()};
    }

private:
    template <typename T>
    T* as() {
        auto* p = std::get_if<std::unique_ptr<T>>(&data);
        return p ? p->get() : nullptr;
    }
};

// The name TYPE answers with: "string", "list", "hash", "set", "zset", "stream".
std::string_view type_name(Type type);

}  // namespace miniredis

namespace miniredis {

// A deep copy (COPY): a new list/hash/set/zset with the same elements.
Value clone(Value& value);

}  // namespace miniredis
