// miniredis/model/encoding.cpp
//
// Encodings and memory estimates (see encoding.hpp). CONCEPT: in the header; here the mechanics.
//
// READ NEXT: encoding.hpp, commands/introspection.cpp (OBJECT ENCODING, MEMORY USAGE).
#include "encoding.hpp"

#include "protocol/numbers.hpp"

namespace miniredis {
namespace {

bool is_integer(std::string_view s) { return s.size() <= 20 && parse_int64(s).has_value(); }

// Heap bytes a SmallString owns beyond its own 24 bytes (short strings live inline).
size_t heap_bytes(const SmallString& s) { return s.is_heap() ? s.size() : 0; }

// What a hash-table entry costs us: the entry (next pointer, key, value) rounded by the allocator.
constexpr size_t kEntryOverhead = 16;

// Average of `bytes(element)` over at most `samples` elements, times the element count.
template <typename Range, typename Fn>
size_t sampled(const Range& range, size_t count, size_t samples, Fn bytes) {
    size_t seen = 0, total = 0;
    for (const auto& element : range) {
        if (samples && seen == samples) break;
        total += bytes(element);
        ++seen;
    }
    return seen ? total * count / seen : 0;
}

// Calls fn on about `samples` entries (0 = all), walking buckets with the SCAN cursor so that a
// huge hash costs only the buckets needed - MEMORY USAGE runs once per key in redis-cli --memkeys.
template <typename D, typename Fn>
void first_entries(const D& dict, size_t samples, Fn fn) {
    if (samples == 0) return dict.for_each(fn);
    size_t seen = 0;
    uint64_t cursor = 0;
    do {
        cursor = dict.scan(cursor, [&](const auto& e) {
            fn(e);
            ++seen;
        });
    } while (cursor != 0 && seen < samples);
}

}  // namespace

// OBJECT ENCODING answers what Redis 7.0 would store the value as, computed from the value's size
// and contents with the thresholds of encoding.hpp - so a lecture can show the encodings change (a
// hash growing past kHashMaxListpackEntries turns "listpack" into "hashtable") while miniredis
// keeps one structure per type.
std::string_view object_encoding(Value& value) {
    switch (value.type()) {
        case Type::string: {
            std::string_view s = *value.string();
            if (is_integer(s)) return "int";
            return s.size() <= kEmbstrMaxBytes ? "embstr" : "raw";
        }
        case Type::list:
            return "quicklist";  // Redis 7.0 has no listpack-encoded lists (7.2 does)
        case Type::hash: {
            Hash& h = *value.hash();
            if (h.size() > kHashMaxListpackEntries) return "hashtable";
            bool small = true;
            h.for_each([&](const Hash::Entry& e) {
                small = small && e.key.size() <= kHashMaxListpackValue && e.value.size() <= kHashMaxListpackValue;
            });
            return small ? "listpack" : "hashtable";
        }
        case Type::set: {
            Set& s = *value.set();
            if (s.size() > kSetMaxIntsetEntries) return "hashtable";
            bool ints = true;
            s.for_each([&](const Set::Entry& e) { ints = ints && is_integer(e.key); });
            return ints ? "intset" : "hashtable";
        }
        case Type::zset: {
            ZSet& z = *value.zset();
            if (z.size() > kZsetMaxListpackEntries) return "skiplist";
            for (auto* n = z.first(); n; n = n->next())
                if (n->member.size() > kZsetMaxListpackValue) return "skiplist";
            return "listpack";
        }
        default:
            break;  // a type added later: Redis names a stream's encoding "stream", its type
    }
    return type_name(value.type());
}

// MEMORY USAGE: our own structures' real cost (entries, nodes, heap strings), estimated from a sample
// of elements for big aggregates, as Redis does (SAMPLES, default 5; 0 = every element). Numbers
// differ from redis-server's because the structures differ - the point is to compare keys, not
// servers.
size_t memory_usage(std::string_view key, Value& value, size_t samples) {
    // The keyspace entry: the Dict node holding the key and the 32-byte Value.
    size_t bytes = kEntryOverhead + sizeof(SmallString) + sizeof(Value) + (key.size() > 23 ? key.size() : 0);
    switch (value.type()) {
        case Type::string:
            return bytes + heap_bytes(*value.string());
        case Type::list: {
            List& l = *value.list();
            return bytes + sizeof(List) + sampled(l, l.size(), samples, [](const SmallString& s) {
                       return sizeof(SmallString) + heap_bytes(s);
                   });
        }
        case Type::hash: {
            Hash& h = *value.hash();
            size_t total = 0, seen = 0;
            first_entries(h, samples, [&](const Hash::Entry& e) {
                total += kEntryOverhead + 2 * sizeof(SmallString) + heap_bytes(e.key) + heap_bytes(e.value);
                ++seen;
            });
            return bytes + sizeof(Hash) + h.size() * sizeof(void*) + (seen ? total * h.size() / seen : 0);
        }
        case Type::set: {
            Set& s = *value.set();
            size_t total = 0, seen = 0;
            first_entries(s, samples, [&](const Set::Entry& e) {
                total += kEntryOverhead + sizeof(SmallString) + heap_bytes(e.key);
                ++seen;
            });
            return bytes + sizeof(Set) + s.size() * sizeof(void*) + (seen ? total * s.size() / seen : 0);
        }
        case Type::zset: {
            ZSet& z = *value.zset();
            size_t total = 0, seen = 0;
            for (auto* n = z.first(); n && (!samples || seen < samples); n = n->next(), ++seen)
                total += sizeof(ZSet::Node) + static_cast<size_t>(n->height) * sizeof(ZSet::Level) +
                         heap_bytes(n->member) + kEntryOverhead + sizeof(void*);  // + the member -> node entry
            return bytes + sizeof(ZSet) + (seen ? total * z.size() / seen : 0);
        }
        default:
            break;  // a type added later: only the key and its entry are counted
    }
    return bytes;
}

}  // namespace miniredis
