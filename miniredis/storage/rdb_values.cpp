// miniredis/storage/rdb_values.cpp
//
// RDB value decoders, one per type family (read_list, read_set, read_hash, read_zset,
// read_stream), each reading every encoding of its family that any Redis version wrote, and
// read_value, which picks one by the type byte (rdb.c's rdbLoadObject).
//
// CONCEPT: many encodings in, one representation out. The writer (rdb_writer.cpp) emits one
// encoding per type; the loader accepts every generation, so a dump.rdb from Redis 2.8 still loads:
//
//   writer: Value  ->  object_encoding()  ->  one of 7 value types
//   loader: one of 19 value types (RDB 1 - 11)  ->  Value
//
//   list  1 (plain) | 10 ziplist | 14 quicklist of ziplists | 18 quicklist of listpacks  -> List
//   set   2 (plain) | 11 intset  | 20 listpack                                          -> Set
//   ...   (the full table: rdb_format.hpp's ValueType)
//
// Every packed blob is decoded by a validating decoder (listpack.cpp, ziplist.cpp, intset.cpp)
// before one element is believed, and every promise the rest of the server relies on is checked
// here - no duplicate members, no NaN score, stream IDs increasing, every pending entry owned -
// because after loading nothing checks them again.
// READ NEXT: rdb_loader.cpp (the file walk that calls read_value), listpack.hpp, ziplist.hpp,
// docs/miniredis/02-persistence-formats.md ("Loading defensively").
#include "storage/rdb_values.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "protocol/numbers.hpp"
#include "storage/intset.hpp"
#include "storage/listpack.hpp"
#include "storage/ziplist.hpp"

namespace miniredis::rdb {
namespace {

// Two types RDB 11 (Redis 7.2) added; the writer never emits them, so rdb_format.hpp leaves them out.
constexpr uint8_t kSetListpack = 20, kStreamListpacks3 = 21;

double parse_score(const Reader& in, std::string_view text, size_t at) {
    auto d = parse_double(text);
    if (!d || std::isnan(*d)) in.fail(fmt::format("a sorted set score '{}' is not a number", text), at);
    return *d;
}

// --- the types ---------------------------------------------------------------------------

// Four generations of lists: a plain count + strings (RDB < 7), one ziplist (Redis 2.x),
// a quicklist of ziplists (3.2 - 6.2), a quicklist of listpacks (7.0). All become our deque.
Value read_list(Reader& in, uint8_t type) {
    Value v = Value::of<List>();
    List& list = *v.list();
    auto add_all = [&](std::vector<std::string> elements) {
        for (std::string& e : elements) list.emplace_back(e);
    };
    if (type == kList) {
        for (uint64_t i = 0, n = in.count(); i < n; ++i) list.emplace_back(in.string());
    } else if (type == kListZiplist) {
        add_all(in.blob(ziplist_decode, "ziplist"));
    } else if (type == kListQuicklist) {
        for (uint64_t i = 0, n = in.count(); i < n; ++i) add_all(in.blob(ziplist_decode, "quicklist ziplist node"));
    } else {  // QUICKLIST_2: each node says whether it holds one big element or a listpack
        for (uint64_t i = 0, n = in.count(); i < n; ++i) {
            size_t at = in.pos();
            uint64_t container = in.length();
            if (container == kQuicklistPlain) {
                list.emplace_back(in.string());
            } else if (container == kQuicklistPacked) {
                auto elements = in.blob(listpack_decode, "quicklist listpack node");
                if (elements.empty()) in.fail("an empty quicklist node", at);
                add_all(std::move(elements));
            } else {
                in.fail(fmt::format("unknown quicklist container {}", container), at);
            }
        }
    }
    return v;
}

// A member twice is a damaged file (Redis refuses it too): sets, hashes and sorted sets check
// every insertion, so a corrupt file cannot quietly shrink a collection.
Value read_set(Reader& in, uint8_t type) {
    Value v = Value::of<Set>();
    size_t at = in.pos();
    auto add = [&](std::string_view member) {
        if (!v.set()->insert(member).second) in.fail("a set member appears twice", at);
    };
    if (type == kSet) {
        for (uint64_t i = 0, n = in.count(); i < n; ++i) {
            at = in.pos();
            add(in.string());
        }
    } else if (type == kSetIntset) {
        std::string b = in.string();
        std::vector<int64_t> members;
        if (!intset_decode(b, members)) in.fail("a malformed intset", at);
        for (int64_t m : members) add(std::to_string(m));
    } else {  // SET_LISTPACK (RDB 11)
        for (const std::string& m : in.blob(listpack_decode, "set listpack")) add(m);
    }
    return v;
}

// Hashes: pairs (type 4), or one blob of alternating fields and values - zipmap (2.x), ziplist
// (up to 6.2), listpack (7.0). An odd number of elements in a blob is damage.
Value read_hash(Reader& in, uint8_t type) {
    Value v = Value::of<Hash>();
    size_t at = in.pos();
    auto add = [&](std::string_view field, std::string_view value) {
        auto [entry, fresh] = v.hash()->insert(field);
        if (!fresh) in.fail("a hash field appears twice", at);
        entry->value.assign(value);
    };
    std::vector<std::string> pairs;
    if (type == kHash) {
        for (uint64_t i = 0, n = in.count(); i < n; ++i) {
            at = in.pos();
            std::string field = in.string();
            add(field, in.string());
        }
        return v;
    }
    if (type == kHashZipmap)
        pairs = in.blob(zipmap_decode, "zipmap", 2);
    else if (type == kHashZiplist)
        pairs = in.blob(ziplist_decode, "hash ziplist", 2);
    else
        pairs = in.blob(listpack_decode, "hash listpack", 2);
    for (size_t i = 0; i < pairs.size(); i += 2) add(pairs[i], pairs[i + 1]);
    return v;
}

// Sorted sets: a score is a binary double (ZSET_2), text (the old ZSET, and inside ziplists and
// listpacks, where integral scores are stored as integers). NaN is refused everywhere: a sorted set
// cannot order it, and Redis never writes one.
Value read_zset(Reader& in, uint8_t type) {
    Value v = Value::of<ZSet>();
    size_t at = in.pos();
    auto add = [&](std::string_view member, double score) {
        if (!v.zset()->set(member, score)) in.fail("a sorted set member appears twice", at);
    };
    if (type == kZset || type == kZset2) {
        for (uint64_t i = 0, n = in.count(); i < n; ++i) {
            at = in.pos();
            std::string member = in.string();
            double score;
            if (type == kZset2) {
                uint64_t bits = in.le(8);
                std::memcpy(&score, &bits, sizeof score);
                if (std::isnan(score)) in.fail("a sorted set score is NaN", at);
            } else {  // RDB < 8: a length byte and the score as text (253 NaN, 254 +inf, 255 -inf)
                uint8_t len = in.u8();
                if (len == 253) in.fail("a sorted set score is NaN", at);
                score = len == 254 ? INFINITY : len == 255 ? -INFINITY : parse_score(in, in.raw(len), at);
            }
            add(member, score);
        }
        return v;
    }
    auto pairs = type == kZsetZiplist ? in.blob(ziplist_decode, "zset ziplist", 2)
                                      : in.blob(listpack_decode, "zset listpack", 2);
    for (size_t i = 0; i < pairs.size(); i += 2) add(pairs[i], parse_score(in, pairs[i + 1], at));
    return v;
}

// A stream: nodes (16-byte big-endian first ID + listpack, layout in rdb_writer.cpp's
// stream_node), its counters, and the consumer groups with their PELs. Every promise the rest of
// the server relies on is checked: IDs increasing, counts that agree, every pending entry owned.
Value read_stream(Reader& in, uint8_t type) {
    Value v = Value::of<Stream>();
    Stream& s = *v.stream();
    std::optional<StreamID> previous;
    uint64_t live = 0;
    std::vector<std::string_view> fv;
    for (uint64_t node = 0, nodes = in.count(); node < nodes; ++node) {
        size_t at = in.pos();
        std::string key = in.string();
        if (key.size() != 16) in.fail("a stream node's key is not a 16-byte ID", at);
        StreamID master{0, 0};
        for (int i = 0; i < 8; ++i) {
            master.ms = (master.ms << 8) | static_cast<uint8_t>(key[i]);
            master.seq = (master.seq << 8) | static_cast<uint8_t>(key[8 + i]);
        }
        at = in.pos();
        auto e = in.blob(listpack_decode, "stream listpack");
        size_t i = 0;
        auto text = [&]() -> const std::string& {
            if (i >= e.size()) in.fail("a stream node ends inside an entry", at);
            return e[i++];
        };
        auto num = [&] {
            auto n = parse_int64(text());
            if (!n) in.fail("a stream node holds a non-number where a number belongs", at);
            return *n;
        };
        if (e.empty()) in.fail("an empty stream node", at);
        // The master entry: live and deleted counts, then the field names that SAMEFIELDS
        // entries share, then a 0.
        int64_t count = num(), deleted = num(), master_fields = num();
        if (master_fields < 0 || static_cast<uint64_t>(master_fields) > e.size()) in.fail("a bad master entry", at);
        std::vector<std::string_view> fields;
        for (int64_t f = 0; f < master_fields; ++f) fields.push_back(text());
        if (num() != 0) in.fail("the master entry does not end with 0", at);
        int64_t seen_live = 0, seen_deleted = 0;
        // Entries: flags, ID as deltas from the node's key, fields and values (or values only),
        // and lp-count - which must agree with what we just read, or the walk is out of step.
        while (i < e.size()) {
            int64_t flags = num();
            StreamID id{master.ms + static_cast<uint64_t>(num()), master.seq + static_cast<uint64_t>(num())};
            fv.clear();
            int64_t n = master_fields;
            if (flags & 2) {
                for (int64_t f = 0; f < n; ++f) fv.insert(fv.end(), {fields[static_cast<size_t>(f)], text()});
            } else {
                n = num();
                if (n < 0 || static_cast<uint64_t>(n) > e.size()) in.fail("a bad field count", at);
                for (int64_t f = 0; f < 2 * n; ++f) fv.push_back(text());
            }
            if (num() != ((flags & 2) ? n + 3 : 2 * n + 4)) in.fail("an entry's lp-count does not match it", at);
            if (flags & 1) {
                ++seen_deleted;
                continue;
            }
            if (previous && id <= *previous) in.fail("stream IDs are not increasing", at);
            s.append(id, fv);
            previous = id;
            ++seen_live, ++live;
        }
        if (seen_live != count || seen_deleted != deleted) in.fail("a stream node's counts do not match it", at);
    }
    size_t at = in.pos();
    if (in.length() != live) in.fail("the stream's length does not match its entries", at);
    auto id = [&] { return StreamID{in.length(), in.length()}; };
    s.last_id = id();
    if (type >= kStreamListpacks2) {
        id();  // first ID: we know it from the entries
        s.max_deleted_id = id();
        s.entries_added = in.length();
    } else {
        s.entries_added = live;
    }
    if (previous && s.last_id < *previous) in.fail("the stream's last ID is below its last entry", at);
    for (uint64_t g = 0, groups = in.count(); g < groups; ++g) {
        std::string name = in.string();
        auto group = std::make_unique<ConsumerGroup>();
        group->last_id = id();
        group->entries_read =
            type >= kStreamListpacks2 ? static_cast<int64_t>(in.length()) : ConsumerGroup::kEntriesReadUnknown;
        auto raw_id = [&] {
            std::string_view b = in.raw(16);
            StreamID r{0, 0};
            for (int k = 0; k < 8; ++k) {
                r.ms = (r.ms << 8) | static_cast<uint8_t>(b[k]);
                r.seq = (r.seq << 8) | static_cast<uint8_t>(b[8 + k]);
            }
            return r;
        };
        struct Pending {
            int64_t time;
            uint64_t count;
            bool owned = false;
        };
        // The group's PEL first (ID, delivery time, count), then each consumer with the IDs it
        // owns: an entry becomes pending in our model only when its owner is known.
        std::map<StreamID, Pending> pel;
        for (uint64_t p = 0, n = in.count(); p < n; ++p) {
            StreamID pid = raw_id();
            auto time = static_cast<int64_t>(in.le(8));
            pel[pid] = Pending{time, in.length()};
        }
        for (uint64_t c = 0, n = in.count(); c < n; ++c) {
            std::string cname = in.string();
            auto seen = static_cast<int64_t>(in.le(8));
            if (type == kStreamListpacks3) in.le(8);  // active-time (7.2): we keep only seen-time
            StreamConsumer& consumer = group->consumer_or_create(cname, seen);
            for (uint64_t p = 0, m = in.count(); p < m; ++p) {
                size_t pat = in.pos();
                StreamID pid = raw_id();
                auto it = pel.find(pid);
                if (it == pel.end() || it->second.owned)
                    in.fail("a consumer's pending entry is not in its group's PEL", pat);
                it->second.owned = true;
                group->assign(pid, consumer, it->second.time).delivery_count = it->second.count;
            }
        }
        for (const auto& [pid, p] : pel)
            if (!p.owned) in.fail(fmt::format("pending entry {} of group '{}' has no consumer", pid.str(), name), at);
        s.groups.emplace(std::move(name), std::move(group));
    }
    return v;
}

}  // namespace

// The type byte picks the parser. Module types (6, 7) would need the module's own code to read
// their bytes - we cannot even skip them safely - so they are refused, as are unknown types: a byte
// we do not understand means every byte after it is unknown too.
Value read_value(Reader& in, uint8_t type, size_t type_at) {
    switch (type) {
        case kString:
            return Value::of_string(in.string());
        case kList:
        case kListZiplist:
        case kListQuicklist:
        case kListQuicklist2:
            return read_list(in, type);
        case kSet:
        case kSetIntset:
        case kSetListpack:
            return read_set(in, type);
        case kHash:
        case kHashZipmap:
        case kHashZiplist:
        case kHashListpack:
            return read_hash(in, type);
        case kZset:
        case kZset2:
        case kZsetZiplist:
        case kZsetListpack:
            return read_zset(in, type);
        case kStreamListpacks:
        case kStreamListpacks2:
        case kStreamListpacks3:
            return read_stream(in, type);
        case 6:
        case 7:
            in.fail("module data type: modules are not supported", type_at);
        default:
            in.fail(fmt::format("unknown value type {}", type), type_at);
    }
}

}  // namespace miniredis::rdb
