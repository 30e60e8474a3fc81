// miniredis/storage/rdb_loader.cpp
//
// Loading RDB: the file walk (see rdb_loader.hpp for the rules, rdb_format.hpp for the bytes).
//
// CONCEPT: a file walk that changes nothing until the end. load_rdb reads one opcode or value
// type at a time - opcodes change the walk's state (database, the next key's deadline) or carry
// metadata (AUX), anything else starts a key, decoded by rdb_values.cpp - into fresh databases,
// checks the CRC64 trailer, and only then hands the keys over:
//
//   REDIS0011 | FA aux... | FE db FB sizes | [FC ms] type key value ... | FF crc64
//       |           |           |                   |                        |
//    version   result.aux   db, reserve    read_value -> InsertPipeline   checksum -> commit
//
// What makes a loader safe on hostile input is not cleverness but discipline: no length is used
// before it is compared with the bytes that remain (rdb_reader.hpp), no count sizes an allocation
// by itself, every packed blob is decoded by a validating decoder before one element is believed
// (rdb_values.cpp), and nothing reaches the live databases until the end. The tests flip every
// byte of a file, with and without fixing the checksum, and cut it at every length
// (tests/miniredis/rdb_test.cpp).
// READ NEXT: rdb_values.cpp (the value decoders), rdb_reader.hpp (the bounds-checked cursor),
// snapshot.cpp (who calls load_rdb), docs/miniredis/02-persistence-formats.md.
#include "storage/rdb_loader.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "storage/crc64.hpp"
#include "storage/rdb_format.hpp"
#include "storage/rdb_reader.hpp"
#include "storage/rdb_values.hpp"

namespace miniredis {
namespace {

using namespace rdb;

constexpr int kNewestVersion = 11;  // 7.2's: two more types, read in rdb_values.cpp

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

RdbLoadResult load_rdb(std::string_view bytes, std::vector<Database>& databases, const RdbLoadOptions& options) {
    RdbLoadResult result;
    // Keys go into fresh databases first - the staging area - and reach `databases` only once the
    // whole file and its checksum are sound. At start-up the targets are empty and each one simply
    // takes over its fresh twin's tables; otherwise keys move over one by one.
    std::vector<Database> fresh;
    fresh.reserve(databases.size());
    for (Database& d : databases) fresh.emplace_back(d.index(), d.env());
    auto commit = [&] {
        for (size_t i = 0; i < databases.size(); ++i) {
            result.keys += fresh[i].size();
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
    };
    InsertPipeline pipeline(fresh);
    try {
        if (!looks_like_rdb(bytes)) {
            size_t at = 0;
            while (at < bytes.size() && at < kMagic.size() && bytes[at] == kMagic[at]) ++at;
            throw Corrupt{at, "not an RDB file (it does not start with REDIS and a version)"};
        }
        // Every version up to ours loads: older files only lack opcodes and types, they never
        // redefine one. A newer file may contain types we have never seen - refuse it up front.
        const int version = std::stoi(std::string(bytes.substr(5, 4)));
        if (version < 1 || version > kNewestVersion)
            throw Corrupt{5, fmt::format("RDB version {} is not supported (1 to {} are)", version, kNewestVersion)};
        Reader in(bytes, 9);
        size_t db = 0;
        bool has_deadline = false;  // (not std::optional: GCC 12 warns it may be uninitialised)
        int64_t deadline = 0;
        for (;;) {
            // One opcode or value type per step. Opcodes change the loader's state (database,
            // the next key's deadline) or carry metadata; anything else starts a key.
            const size_t at = in.pos();
            const uint8_t op = in.u8();
            if (op == kOpEof) break;
            switch (op) {
                case kOpExpireTimeMs:
                    deadline = static_cast<int64_t>(in.le(8)), has_deadline = true;
                    continue;
                case kOpExpireTime:
                    deadline = static_cast<int64_t>(in.le(4)) * 1000, has_deadline = true;
                    continue;
                case kOpFreq:  // LFU/LRU hints: our counters start fresh
                    in.u8();
                    continue;
                case kOpIdle:
                    in.length();
                    continue;
                case kOpSelectDb: {
                    uint64_t index = in.length();
                    if (index >= databases.size())
                        in.fail(fmt::format("the file uses database {} but only {} are configured", index,
                                            databases.size()),
                                at);
                    db = index;
                    continue;
                }
                case kOpResizeDb: {
                    // A hint: presize the table (never beyond what the bytes left could hold).
                    uint64_t keys = in.length();
                    in.length();
                    fresh[db].reserve(std::min<uint64_t>(keys, bytes.size() - in.pos()));
                    continue;
                }
                case kOpAux: {  // metadata: kept for whoever asks (replication reads repl-id)
                    std::string key = in.string();
                    result.aux.emplace_back(std::move(key), in.string());
                    continue;
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
            if (!is_empty(value)) pipeline.push({db, std::move(key), std::move(value), has_deadline, deadline, at});
            has_deadline = false;
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

}  // namespace miniredis
