// Loading RDB (see rdb_loader.hpp for the rules, rdb_format.hpp for the bytes).
//
// Reading order: Reader (bounds-checked primitives: bytes, lengths, strings, packed blobs), then
// one function per type family (read_list, read_set, read_hash, read_zset, read_stream), then
// load_rdb, the loop over opcodes. The same shape as the writer, in reverse - except that the
// loader accepts every generation of each encoding while the writer emits only the current one:
//
//   writer: Value  ->  object_encoding()  ->  one of 7 value types
//   loader: one of 19 value types (RDB 1 - 11)  ->  Value
//
// What makes a loader safe on hostile input is not cleverness but discipline: no length is used
// before it is compared with the bytes that remain, no count sizes an allocation by itself, every
// packed blob is decoded by a validating decoder before one element is believed, and nothing
// reaches the live databases until the end. The tests flip every byte of a file, with and without
// fixing the checksum, and cut it at every length (tests/miniredis/rdb_test.cpp).
#include "storage/rdb_loader.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "protocol/numbers.hpp"
#include "storage/crc64.hpp"
#include "storage/intset.hpp"
#include "storage/listpack.hpp"
#include "storage/lzf.hpp"
#include "storage/rdb_format.hpp"
#include "storage/ziplist.hpp"

namespace miniredis {
namespace {

using namespace rdb;

constexpr int kNewestVersion = 11;                            // 7.2's: two more types, read below
constexpr uint8_t kSetListpack = 20, kStreamListpacks3 = 21;  // RDB 11 (Redis 7.2)

// Thrown at the first problem: where, and what. Caught once, in load_rdb.
struct Corrupt {
    size_t at;
    std::string what;
};

// Thrown instead of "truncated" while the file is still arriving (RdbStreamLoader): the record
// is not all here yet - parse it again from its start when more bytes came.
struct Truncated {};

// A cursor over the file: every read checks that the bytes are there first. Errors are thrown
// (Corrupt) rather than returned: the loader is a deep descent - file, key, value, node, entry -
// and a flag checked after every read would double its code. The one catch is in load_rdb.
//
// Streaming (a replica loading the RDB as it arrives): `bytes` is what came so far, from file
// offset `base` on; running out of bytes throws Truncated instead of failing, and offsets in
// errors are the file's.
class Reader {
public:
    Reader(std::string_view bytes, size_t pos, bool streaming = false, size_t base = 0)
        : bytes_(bytes), pos_(pos), streaming_(streaming), base_(base) {}
    size_t pos() const { return pos_; }
    size_t base() const { return base_; }
    std::string_view bytes() const { return bytes_; }

    [[noreturn]] void fail(std::string what, size_t at) const { throw Corrupt{base_ + at, std::move(what)}; }
    [[noreturn]] void fail(std::string what) const { fail(std::move(what), pos_); }

    void need(uint64_t n) const {
        if (n <= bytes_.size() - pos_) return;
        if (streaming_) throw Truncated{};
        fail("truncated: the file ends inside a record");
    }
    uint8_t u8() {
        need(1);
        return static_cast<uint8_t>(bytes_[pos_++]);
    }
    std::string_view raw(uint64_t n) {
        need(n);
        std::string_view s = bytes_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    uint64_t le(int n) {
        std::string_view b = raw(static_cast<uint64_t>(n));
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(b[i])} << (8 * i);
        return v;
    }
    uint64_t be(int n) {
        std::string_view b = raw(static_cast<uint64_t>(n));
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
        return v;
    }

    // A length; with `special`, a string's "11xxxxxx" encoding marker is allowed and reported.
    uint64_t length(bool* special = nullptr) {
        size_t at = pos_;
        uint8_t b = u8();
        switch (b >> 6) {
            case kLen6:
                return b & 0x3f;
            case kLen14:
                return (uint64_t{b & 0x3fu} << 8) | u8();
            case kEncVal:
                if (!special) fail("an encoded value where a length was expected", at);
                *special = true;
                return b & 0x3f;
            default:
                if (b == kLen32) return be(4);
                if (b == kLen64) return be(8);
                fail(fmt::format("bad length marker 0x{:02x}", b), at);
        }
    }
    // A count of elements: each takes at least one byte, so it cannot exceed the bytes left -
    // this stops a damaged count from reserving gigabytes.
    uint64_t count() {
        size_t at = pos_;
        uint64_t n = length();
        if (n > bytes_.size() - pos_) {
            if (streaming_) throw Truncated{};  // maybe they are on their way
            fail(fmt::format("a count of {} is more than the file holds", n), at);
        }
        return n;
    }

    // A string in any of its forms: plain bytes, an integer kept as 1/2/4 bytes (turned back into
    // its decimal text - the string it was), or LZF-compressed bytes.
    std::string string() {
        size_t at = pos_;
        bool special = false;
        uint64_t n = length(&special);
        if (!special) return std::string(raw(n));
        switch (n) {
            case kEncInt8:
                return std::to_string(static_cast<int8_t>(u8()));
            case kEncInt16:
                return std::to_string(static_cast<int16_t>(le(2)));
            case kEncInt32:
                return std::to_string(static_cast<int32_t>(le(4)));
            case kEncLzf: {
                uint64_t packed = length(), original = length();
                // LZF expands at most ~100x (a 3-byte reference yields up to 264 bytes).
                if (original > packed * 100 + 64) fail("an LZF string claims an impossible length", at);
                auto out = lzf_decompress(raw(packed), original);
                if (!out) fail("LZF data does not decompress", at);
                return std::move(*out);
            }
            default:
                fail(fmt::format("unknown string encoding {}", n), at);
        }
    }

    // A packed blob (listpack, ziplist, intset, zipmap) decoded into its elements.
    using Decoder = bool (*)(std::string_view, std::vector<std::string>&);
    std::vector<std::string> blob(Decoder decode, const char* what, size_t multiple = 1) {
        size_t at = pos_;
        std::string b = string();
        std::vector<std::string> out;
        if (!decode(b, out) || out.size() % multiple != 0) fail(fmt::format("a malformed {}", what), at);
        return out;
    }

private:
    std::string_view bytes_;
    size_t pos_;
    bool streaming_;
    size_t base_;
};

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

// Redis never saves an empty collection (the key is deleted with its last element), but older
// versions could leave one behind; loading it would create a key no command could have made.
bool is_empty(Value& v) {
    switch (v.type()) {
        case Type::list:
            return v.list()->empty();
        case Type::hash:
            return v.hash()->size() == 0;
        case Type::set:
            return v.set()->size() == 0;
        case Type::zset:
            return v.zset()->size() == 0;
        default:
            return false;  // an empty string is a value; so is an empty stream (XADD ... then XDEL)
    }
}

// Inserting a million keys into a table much larger than the CPU caches is a million cache misses
// (the bucket, then the entry at its head) - most of a load's time if taken one after another. So
// a parsed key waits in a small ring: on entry its bucket is prefetched, half-way its chain's first
// entry, and it is inserted when it leaves - by then both are usually in the cache. Order is kept,
// so a duplicate key is still found (and named) when the second copy is inserted.
//
//   parse k9 -> [k1 k2 k3 k4 | k5 k6 k7 k8] -> insert k1
//                 bucket of k9 requested, chain of k5 requested
class InsertPipeline {
public:
    explicit InsertPipeline(std::vector<Database>& dbs) : dbs_(dbs) {}

    struct Item {
        size_t db = 0;
        std::string key;
        Value value;
        bool has_deadline = false;
        int64_t deadline = 0;
        size_t at = 0;  // where the key's record starts: for the duplicate error
    };

    void push(Item item) {
        if (count_ == kDepth) insert(ring_[head_]), head_ = (head_ + 1) % kDepth, --count_;
        size_t slot = (head_ + count_) % kDepth;
        ring_[slot] = std::move(item);
        ++count_;
        dbs_[ring_[slot].db].keys().prefetch(ring_[slot].key, 0);
        if (count_ > kDepth / 2) {
            const Item& mid = ring_[(head_ + count_ - 1 - kDepth / 2) % kDepth];
            dbs_[mid.db].keys().prefetch(mid.key, 1);
        }
    }
    void drain() {
        while (count_ > 0) {
            Item& item = ring_[head_];
            head_ = (head_ + 1) % kDepth, --count_;
            insert(item);
        }
    }

private:
    static constexpr size_t kDepth = 16;

    void insert(Item& item) {
        Database& db = dbs_[item.db];
        // Straight into the key table (Database::set would look the key up once more).
        auto [entry, created] = db.keys().insert(item.key);
        if (!created) throw Corrupt{item.at, fmt::format("the key '{}' appears twice", item.key)};
        entry->value = std::move(item.value);
        entry->value.lru = db.env().fresh_access();
        if (item.has_deadline) db.set_expire(item.key, item.deadline);
    }

    std::vector<Database>& dbs_;
    Item ring_[kDepth];
    size_t head_ = 0, count_ = 0;
};

}  // namespace

bool looks_like_rdb(std::string_view bytes) {
    if (bytes.size() < 9 || !bytes.starts_with(kMagic)) return false;
    for (size_t i = 5; i < 9; ++i)
        if (bytes[i] < '0' || bytes[i] > '9') return false;
    return true;
}

// The AUX fields come first, right after the magic: reading them is cheap and needs no dataset.
std::vector<std::pair<std::string, std::string>> rdb_aux_fields(std::string_view bytes) {
    std::vector<std::pair<std::string, std::string>> fields;
    if (!looks_like_rdb(bytes)) return fields;
    Reader in(bytes, 9);
    try {
        while (in.pos() < bytes.size() && static_cast<uint8_t>(bytes[in.pos()]) == kOpAux) {
            in.u8();
            std::string key = in.string();
            fields.emplace_back(std::move(key), in.string());
        }
    } catch (const Corrupt&) {
        // a damaged header: the fields read so far are all there is
    }
    return fields;
}

namespace {

// The magic and version (the first 9 bytes): every version up to ours loads - older files only
// lack opcodes and types, they never redefine one. A newer file may contain types we have never
// seen: refused up front.
int read_header(std::string_view bytes) {
    if (!looks_like_rdb(bytes)) {
        size_t at = 0;
        while (at < bytes.size() && at < kMagic.size() && bytes[at] == kMagic[at]) ++at;
        throw Corrupt{at, "not an RDB file (it does not start with REDIS and a version)"};
    }
    const int version = std::stoi(std::string(bytes.substr(5, 4)));
    if (version < 1 || version > kNewestVersion)
        throw Corrupt{5, fmt::format("RDB version {} is not supported (1 to {} are)", version, kNewestVersion)};
    return version;
}

// What the loader remembers between two records: the database, the next key's deadline.
struct RecordState {
    size_t db = 0;
    bool has_deadline = false;  // (not std::optional: GCC 12 warns it may be uninitialised)
    int64_t deadline = 0;
};

using AuxList = std::vector<std::pair<std::string, std::string>>;

// One opcode or value type per step; false at the EOF opcode. Opcodes change the loader's state
// (database, the next key's deadline) or carry metadata; anything else starts a key. Every read
// of a record comes before any of its effects, so a record cut short while streaming (Truncated)
// leaves no trace and is simply parsed again from its start. `max_reserve` caps RESIZEDB's hint.
bool read_record(Reader& in, RecordState& st, std::vector<Database>& fresh, InsertPipeline& pipeline, AuxList& aux,
                 uint64_t max_reserve) {
    const size_t at = in.pos();
    const uint8_t op = in.u8();
    if (op == kOpEof) return false;
    switch (op) {
        case kOpExpireTimeMs:
            st.deadline = static_cast<int64_t>(in.le(8)), st.has_deadline = true;
            return true;
        case kOpExpireTime:
            st.deadline = static_cast<int64_t>(in.le(4)) * 1000, st.has_deadline = true;
            return true;
        case kOpFreq:  // LFU/LRU hints: our counters start fresh
            in.u8();
            return true;
        case kOpIdle:
            in.length();
            return true;
        case kOpSelectDb: {
            uint64_t index = in.length();
            if (index >= fresh.size())
                in.fail(fmt::format("the file uses database {} but only {} are configured", index, fresh.size()), at);
            st.db = index;
            return true;
        }
        case kOpResizeDb: {
            // A hint: presize the table (never beyond what the bytes left could hold).
            uint64_t keys = in.length();
            in.length();
            fresh[st.db].reserve(std::min<uint64_t>(keys, max_reserve));
            return true;
        }
        case kOpAux: {  // metadata: kept for whoever asks (replication reads repl-id)
            std::string key = in.string();
            std::string value = in.string();
            aux.emplace_back(std::move(key), std::move(value));
            return true;
        }
        case kOpModuleAux:
            in.fail("module AUX data: modules are not supported", at);
        case kOpFunction2:
        case kOpFunction2 + 1:
            in.fail("a FUNCTION library: functions are not supported", at);
        default:
            break;
    }
    std::string key = in.string();
    Value value = read_value(in, op, at);
    if (!is_empty(value))
        pipeline.push({st.db, std::move(key), std::move(value), st.has_deadline, st.deadline, in.base() + at});
    st.has_deadline = false;
    return true;
}

// Loaded keys reach the target: at start-up the targets are empty and each one simply takes over
// its fresh twin's tables; otherwise keys move over one by one. Returns how many keys.
size_t commit_fresh(std::vector<Database>& fresh, std::vector<Database>& databases) {
    size_t keys = 0;
    for (size_t i = 0; i < databases.size(); ++i) {
        keys += fresh[i].size();
        if (databases[i].size() == 0) {
            databases[i] = std::move(fresh[i]);
            continue;
        }
        fresh[i].keys().for_each([&](const Database::Keys::Entry& e) {
            auto deadline = fresh[i].expire_of(e.key);
            databases[i].set(e.key, std::move(const_cast<Value&>(e.value)));
            if (deadline) databases[i].set_expire(e.key, *deadline);
        });
    }
    return keys;
}

}  // namespace

RdbLoadResult load_rdb(std::string_view bytes, std::vector<Database>& databases, const RdbLoadOptions& options) {
    RdbLoadResult result;
    // Keys go into fresh databases first - the staging area - and reach `databases` only once the
    // whole file and its checksum are sound.
    std::vector<Database> fresh;
    fresh.reserve(databases.size());
    for (Database& d : databases) fresh.emplace_back(d.index(), d.env());
    auto commit = [&] { result.keys += commit_fresh(fresh, databases); };
    InsertPipeline pipeline(fresh);
    try {
        const int version = read_header(bytes);
        Reader in(bytes, 9);
        RecordState state;
        while (read_record(in, state, fresh, pipeline, result.aux, bytes.size() - in.pos())) {
        }
        // The checksum is checked only now, after parsing: its position is only known once the
        // EOF byte was found. Parsing first is safe - every read is bounds-checked - and it lets a
        // truncated file say where it ends instead of just "checksum mismatch".
        pipeline.drain();
        const size_t data_end = in.pos();
        result.consumed = data_end;
        if (version >= 5) {
            uint64_t stored = in.le(8);
            uint64_t computed = crc64(0, bytes.substr(0, data_end));
            result.consumed = in.pos();
            if (stored != 0 && stored != computed)
                throw Corrupt{data_end, fmt::format("checksum mismatch: the file says {:016x}, bytes 0-{} give {:016x}",
                                                    stored, data_end - 1, computed)};
        }
    } catch (const Corrupt& c) {
        if (options.salvage) {  // keys parsed whole but still in the pipeline count as read
            try {
                pipeline.drain();
            } catch (const Corrupt&) {
            }
        }
        // The fresh databases are simply dropped - unless --repair asked to keep what was read.
        result.error_offset = c.at;
        result.error = fmt::format("corrupt at byte {}: {}", c.at, c.what);
        if (options.salvage) commit();
        return result;
    }
    commit();
    result.ok = true;
    return result;
}

// --- RdbStreamLoader ------------------------------------------------------------------------

// A RESIZEDB hint while the file is still arriving cannot be checked against its size: trust it
// up to this many keys (a damaged hint costs at most a table of this size).
constexpr uint64_t kStreamMaxReserve = 4 * 1024 * 1024;

struct RdbStreamLoader::State {
    explicit State(const std::vector<Database>& like) {
        fresh.reserve(like.size());
        for (const Database& d : like) fresh.emplace_back(d.index(), d.env());
    }
    std::vector<Database> fresh;
    InsertPipeline pipeline{fresh};
    RecordState record;
    RdbLoadResult result;
    std::string buf;        // bytes received and not parsed yet (a record cut short)
    size_t base = 0;        // the file offset of buf[0]
    size_t retry_at = 9;    // parse again once buf holds this much
    uint64_t crc = 0;       // of every byte before buf
    int version = 0;        // 0: the header has not been read
    bool eof_seen = false;  // the EOF opcode: only the checksum is left
    bool complete = false;  // ... and the checksum was right
    bool failed = false;

    void consume(size_t n) {
        crc = crc64(crc, std::string_view(buf).substr(0, n));
        buf.erase(0, n);
        base += n;
    }

    // Parses every whole record in buf. `final`: no more bytes will come, so a record cut short
    // is an error, named as load_rdb names it.
    void parse(bool final) {
        if (version == 0) {
            if (buf.size() < 9 && !final) return;
            version = read_header(buf);
            consume(9);
        }
        if (!eof_seen) {
            Reader in(buf, 0, !final, base);
            size_t done = 0;
            try {
                while (read_record(in, record, fresh, pipeline, result.aux, kStreamMaxReserve)) done = in.pos();
                eof_seen = true;
                done = in.pos();
            } catch (const Truncated&) {
                // Parsed again once the bytes waiting have doubled: a record of a few hundred
                // bytes with the next read, a 100 MB value arriving 16 KB at a time ~13 times,
                // not 6,000 - every byte is parsed at most about twice.
                consume(done);
                retry_at = 2 * buf.size() + 1;
                return;
            }
            consume(done);
        }
        if (version < 5) {
            complete = true;  // no checksum before version 5
        } else {
            if (buf.size() < 8 && !final) return;
            Reader in(buf, 0, false, base);
            uint64_t stored = in.le(8);
            if (stored != 0 && stored != crc)
                throw Corrupt{base, fmt::format("checksum mismatch: the file says {:016x}, bytes 0-{} give {:016x}",
                                                stored, base - 1, crc)};
            complete = true;
        }
        if (complete && buf.size() > (version < 5 ? 0 : 8))
            throw Corrupt{base + (version < 5 ? 0 : 8), "bytes after the end of the file"};
    }

    bool run(bool final) {
        if (failed) return false;
        try {
            parse(final);
        } catch (const Corrupt& c) {
            failed = true;
            result.error_offset = c.at;
            result.error = fmt::format("corrupt at byte {}: {}", c.at, c.what);
        }
        return !failed;
    }
};

RdbStreamLoader::RdbStreamLoader(const std::vector<Database>& like) : s_(std::make_unique<State>(like)) {}
RdbStreamLoader::~RdbStreamLoader() = default;

bool RdbStreamLoader::feed(std::string_view bytes) {
    State& s = *s_;
    if (s.failed) return false;
    s.buf.append(bytes);
    if (s.buf.size() < s.retry_at && !s.complete) return true;
    return s.run(false);
}

RdbLoadResult RdbStreamLoader::finish() {
    State& s = *s_;
    if (s.run(true) && !s.complete) {
        s.failed = true;
        s.result.error_offset = s.base + s.buf.size();
        s.result.error =
            fmt::format("corrupt at byte {}: truncated: the file ends before its end", s.result.error_offset);
    }
    if (!s.failed) {
        try {
            s.pipeline.drain();  // the last keys: a duplicate is still found here
        } catch (const Corrupt& c) {
            s.failed = true;
            s.result.error_offset = c.at;
            s.result.error = fmt::format("corrupt at byte {}: {}", c.at, c.what);
        }
    }
    s.result.ok = !s.failed;
    s.result.consumed = s.base + s.buf.size();
    return s.result;
}

size_t RdbStreamLoader::commit(std::vector<Database>& databases) { return commit_fresh(s_->fresh, databases); }

}  // namespace miniredis
