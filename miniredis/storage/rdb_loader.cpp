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
// RdbStreamLoader (at the end) walks the same records while the file is still arriving: a replica
// with repl-diskless-load parses the master's transfer from the socket, and a record cut short
// (Truncated) is simply parsed again from its start when more bytes came.
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
