// Writing RDB (see rdb_writer.hpp for the API and the encodings chosen, rdb_format.hpp for bytes).
#include "storage/rdb_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <unistd.h>

#include "model/encoding.hpp"
#include "protocol/numbers.hpp"
#include "storage/crc64.hpp"
#include "storage/intset.hpp"
#include "storage/listpack.hpp"
#include "storage/lzf.hpp"
#include "storage/rdb_format.hpp"

namespace miniredis {

void FdSink::write(std::string_view bytes) {
    while (error_ == 0 && !bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = n < 0 ? errno : EIO;  // 0 bytes for a non-empty write: nothing more will go
            return;
        }
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

namespace {

using namespace rdb;

// The bytes of the file, buffered and passed to the sink in chunks, with the CRC kept up to date.
class Writer {
public:
    explicit Writer(RdbSink& sink) : sink_(sink) {}

    void byte(uint8_t b) {
        buf_.push_back(static_cast<char>(b));
        maybe_flush();
    }
    void raw(std::string_view bytes) {
        buf_.append(bytes);
        maybe_flush();
    }
    void u64le(uint64_t v) {
        for (int i = 0; i < 8; ++i) byte(static_cast<uint8_t>(v >> (8 * i)));
    }

    // A length: 6 bits, 14 bits, or a marker byte and 32/64 bits big-endian. Most lengths in a
    // file (key sizes, element counts, small IDs) fit the one-byte form, which is much of why an
    // RDB file is compact before any compression.
    void length(uint64_t n) {
        if (n < (1 << 6)) {
            byte(static_cast<uint8_t>(n));
        } else if (n < (1 << 14)) {
            byte(static_cast<uint8_t>((kLen14 << 6) | (n >> 8)));
            byte(static_cast<uint8_t>(n & 0xff));
        } else if (n <= UINT32_MAX) {
            byte(kLen32);
            for (int i = 3; i >= 0; --i) byte(static_cast<uint8_t>(n >> (8 * i)));
        } else {
            byte(kLen64);
            for (int i = 7; i >= 0; --i) byte(static_cast<uint8_t>(n >> (8 * i)));
        }
    }

    // A string, as Redis's rdbSaveRawString: a short canonical number that fits 32 bits goes in
    // 2-5 bytes; a long one is LZF-compressed when that saves space; anything else as it is.
    void string(std::string_view s) {
        if (s.size() <= 11) {
            if (auto v = parse_int64(s); v && *v >= INT32_MIN && *v <= INT32_MAX) {
                auto enc = [&](uint8_t kind) { byte(static_cast<uint8_t>((kEncVal << 6) | kind)); };
                if (*v >= INT8_MIN && *v <= INT8_MAX) {
                    enc(kEncInt8);
                    byte(static_cast<uint8_t>(*v));
                } else if (*v >= INT16_MIN && *v <= INT16_MAX) {
                    enc(kEncInt16);
                    for (int i = 0; i < 2; ++i) byte(static_cast<uint8_t>(static_cast<uint64_t>(*v) >> (8 * i)));
                } else {
                    enc(kEncInt32);
                    for (int i = 0; i < 4; ++i) byte(static_cast<uint8_t>(static_cast<uint64_t>(*v) >> (8 * i)));
                }
                return;
            }
        }
        if (s.size() > 20) {
            if (auto packed = lzf_compress(s)) {
                byte(static_cast<uint8_t>((kEncVal << 6) | kEncLzf));
                length(packed->size());
                length(s.size());
                raw(*packed);
                return;
            }
        }
        length(s.size());
        raw(s);
    }

    // EOF, then the CRC of everything before it - including the EOF byte, excluding the CRC.
    // The buffer is flushed first so that the CRC covers exactly the bytes the sink received.
    void finish() {
        byte(kOpEof);
        flush();
        uint64_t crc = crc_;
        u64le(crc);  // the checksum itself is not covered
        flush();
    }

private:
    // 64 KB chunks: few enough calls into the sink (a write(2) each, for a file or socket), small
    // enough that a sink never holds much more than one chunk.
    void maybe_flush() {
        if (buf_.size() >= 64 * 1024) flush();
    }
    void flush() {
        crc_ = crc64(crc_, buf_);
        sink_.write(buf_);
        buf_.clear();
    }

    RdbSink& sink_;
    std::string buf_;
    uint64_t crc_ = 0;
};

// A stream ID as 16 bytes, ms then seq, each big-endian - so that byte order is ID order (Redis
// keeps the IDs as keys of a radix tree, which sorts bytes).
std::string id_bytes(StreamID id) {
    std::string out(16, '\0');
    for (int i = 0; i < 8; ++i) {
        out[i] = static_cast<char>(id.ms >> (56 - 8 * i));
        out[8 + i] = static_cast<char>(id.seq >> (56 - 8 * i));
    }
    return out;
}

// A list is a quicklist: a linked list of listpack nodes. Redis 7.0 caps a node at 8 KB
// (list-max-listpack-size -2) so that inserting in the middle copies at most 8 KB; we cut at the
// same size (11 bytes is a safe bound on one element's encoding + backlen overhead). An element
// bigger than a node gets a node of its own. Every node is written "packed" (container 2); Redis
// writes "plain" (1) only for elements over 1 GB.
void write_list(Writer& w, const List& list) {
    // Quicklist nodes: a new node when the next element would take this one past 8 KB.
    std::vector<std::string> nodes;
    ListpackWriter lp;
    for (const SmallString& element : list) {
        std::string_view e = element;
        if (lp.size() > 0 && lp.bytes() + e.size() + 11 > kListNodeMaxBytes) nodes.push_back(lp.finish());
        lp.append(e);
    }
    if (lp.size() > 0) nodes.push_back(lp.finish());
    w.length(nodes.size());
    for (const std::string& node : nodes) {
        w.length(kQuicklistPacked);
        w.string(node);
    }
}

// One stream node: a listpack holding a "master entry" (the first entry's field names, which
// later entries with the same fields do not repeat) and then every entry as deltas from the
// node's first ID:
//
//   master:  count deleted n-fields field... 0
//   entry:   flags ms-delta seq-delta [n-fields] (field value | value)... lp-count
//
// flags = 2 (SAMEFIELDS) when an entry has exactly the master's fields, then only values follow;
// lp-count is how many listpack elements the entry took, so it can be walked backwards.
struct NodeEntry {
    StreamID id;
    std::vector<std::string> fields_values;
};

std::string stream_node(const std::vector<NodeEntry>& entries) {
    ListpackWriter lp;
    const NodeEntry& master = entries.front();
    const size_t master_fields = master.fields_values.size() / 2;
    lp.append_int(static_cast<int64_t>(entries.size()));
    lp.append_int(0);  // deleted entries: we keep none (a snapshot drops tombstones)
    lp.append_int(static_cast<int64_t>(master_fields));
    for (size_t i = 0; i < master_fields; ++i) lp.append(master.fields_values[2 * i]);
    lp.append_int(0);  // end of the master entry
    for (const NodeEntry& e : entries) {
        const size_t n = e.fields_values.size() / 2;
        bool same = n == master_fields;
        for (size_t i = 0; same && i < n; ++i) same = e.fields_values[2 * i] == master.fields_values[2 * i];
        lp.append_int(same ? 2 : 0);
        lp.append_int(static_cast<int64_t>(e.id.ms - master.id.ms));  // wraps like Redis's int64 cast
        lp.append_int(static_cast<int64_t>(e.id.seq - master.id.seq));
        if (same) {
            for (size_t i = 0; i < n; ++i) lp.append(e.fields_values[2 * i + 1]);
        } else {
            lp.append_int(static_cast<int64_t>(n));
            for (const std::string& s : e.fields_values) lp.append(s);
        }
        lp.append_int(static_cast<int64_t>(same ? n + 3 : 2 * n + 4));
    }
    return lp.finish();
}

// A stream is written as Redis keeps it in memory: a radix tree from each node's first ID to the
// node's listpack, so the file holds (16-byte ID, listpack) pairs. Then the metadata XINFO shows,
// then the consumer groups. Our in-memory blocks have a different layout (model/stream.hpp), so the
// nodes are rebuilt here from the live entries; deleted entries (tombstones) are not carried over.
// Pending entries appear twice, as in Redis: in the group's PEL with their delivery time and count,
// and as bare IDs under the consumer that owns them - the loader joins the two.
void write_stream(Writer& w, Stream& s) {
    // Nodes of up to 100 entries or about 4 KB (stream-node-max-entries / -bytes).
    std::vector<std::pair<StreamID, std::string>> nodes;
    std::vector<NodeEntry> pending;
    size_t pending_bytes = 0;
    auto close_node = [&] {
        if (pending.empty()) return;
        nodes.emplace_back(pending.front().id, stream_node(pending));
        pending.clear();
        pending_bytes = 0;
    };
    s.range({0, 0}, StreamID::max(), false, [&](const StreamEntryView& e) {
        if (pending.size() >= kStreamNodeMaxEntries || pending_bytes >= kStreamNodeMaxBytes) close_node();
        NodeEntry entry{e.id, {}};
        for (std::string_view f : e.fields_values) {
            entry.fields_values.emplace_back(f);
            pending_bytes += f.size() + 2;
        }
        pending.push_back(std::move(entry));
        return true;
    });
    close_node();
    w.length(nodes.size());
    for (const auto& [first, blob] : nodes) {
        w.string(id_bytes(first));
        w.string(blob);
    }
    auto id = [&](StreamID i) {
        w.length(i.ms);
        w.length(i.seq);
    };
    w.length(s.length());
    id(s.last_id);
    id(s.first_id());
    id(s.max_deleted_id);
    w.length(s.entries_added);
    w.length(s.groups.size());
    for (const auto& [name, g] : s.groups) {
        w.string(name);
        id(g->last_id);
        w.length(static_cast<uint64_t>(g->entries_read));  // -1 (unknown) is written as 2^64-1, as Redis
        w.length(g->pel.size());
        for (const auto& [pid, p] : g->pel) {
            w.raw(id_bytes(pid));
            w.u64le(static_cast<uint64_t>(p.delivery_time));
            w.length(p.delivery_count);
        }
        w.length(g->consumers.size());
        for (const auto& [cname, c] : g->consumers) {
            w.string(cname);
            w.u64le(static_cast<uint64_t>(c->seen_time));
            w.length(c->pending.size());  // its entries are in the group's PEL: only IDs here
            for (const StreamID& pid : c->pending) w.raw(id_bytes(pid));
        }
    }
}

// Writes type byte, key, value. The type byte names the *encoding*, not just the type: the same
// hash is type 16 (one listpack) or type 4 (field/value pairs) depending on its size, so a reader
// knows how to parse what follows without looking ahead.
void write_value(Writer& w, std::string_view key, Value& v) {
    switch (v.type()) {
        case Type::string:
            w.byte(kString);
            w.string(key);
            w.string(*v.string());
            return;
        case Type::list:
            w.byte(kListQuicklist2);
            w.string(key);
            write_list(w, *v.list());
            return;
        case Type::hash: {
            Hash& h = *v.hash();
            if (object_encoding(v) == "listpack") {
                w.byte(kHashListpack);
                w.string(key);
                ListpackWriter lp;
                h.for_each([&](const Hash::Entry& e) {
                    lp.append(e.key);
                    lp.append(e.value);
                });
                w.string(lp.finish());
            } else {
                w.byte(kHash);
                w.string(key);
                w.length(h.size());
                h.for_each([&](const Hash::Entry& e) {
                    w.string(e.key);
                    w.string(e.value);
                });
            }
            return;
        }
        case Type::set: {
            Set& set = *v.set();
            if (object_encoding(v) == "intset") {
                // Our set is a hash table of strings; the intset wants the numbers, sorted.
                std::vector<int64_t> members;
                set.for_each([&](const Set::Entry& e) { members.push_back(*parse_int64(e.key)); });
                std::sort(members.begin(), members.end());
                w.byte(kSetIntset);
                w.string(key);
                w.string(intset_encode(members));
            } else {
                w.byte(kSet);
                w.string(key);
                w.length(set.size());
                set.for_each([&](const Set::Entry& e) { w.string(e.key); });
            }
            return;
        }
        case Type::zset: {
            ZSet& z = *v.zset();
            if (object_encoding(v) == "listpack") {
                w.byte(kZsetListpack);
                w.string(key);
                ListpackWriter lp;
                char buf[32];
                for (auto* n = z.first(); n; n = n->next()) {
                    lp.append(n->member);
                    lp.append(format_double(n->score, buf));  // integral scores become integers
                }
                w.string(lp.finish());
            } else {
                w.byte(kZset2);
                w.string(key);
                w.length(z.size());
                for (auto* n = z.first(); n; n = n->next()) {
                    w.string(n->member);
                    uint64_t bits;
                    std::memcpy(&bits, &n->score, sizeof bits);
                    w.u64le(bits);
                }
            }
            return;
        }
        case Type::stream:
            w.byte(kStreamListpacks2);
            w.string(key);
            write_stream(w, *v.stream());
            return;
    }
}

}  // namespace

// The file from the top: magic and version, AUX fields (metadata a loader may ignore), then per
// non-empty database SELECTDB + RESIZEDB and its keys, then EOF and the checksum. Keys go out in
// hash-table order - nothing in the format depends on order between keys. In BGSAVE this runs in
// the forked child, on its copy-on-write view of memory: the instant of the fork, consistently.
void write_rdb(std::vector<Database>& databases, const RdbOptions& options, RdbSink& sink) {
    Writer w(sink);
    w.raw(fmt::format("{}{:04}", kMagic, kVersion));
    auto aux = [&](std::string_view k, std::string_view v) {
        w.byte(kOpAux);
        w.string(k);
        w.string(v);
    };
    // redis-ver: tools print it, and a loader may use it to decide what to expect; we write the
    // version whose format we write. aof-base says whether these bytes start an AOF.
    aux("redis-ver", "7.0.0");
    aux("redis-bits", "64");
    aux("ctime", std::to_string(options.now_ms / 1000));
    aux("used-mem", std::to_string(options.used_mem));
    for (const auto& [k, v] : options.aux) aux(k, v);
    aux("aof-base", options.aof_base ? "1" : "0");
    for (Database& db : databases) {
        if (db.size() == 0) continue;
        w.byte(kOpSelectDb);
        w.length(static_cast<uint64_t>(db.index()));
        w.byte(kOpResizeDb);
        w.length(db.size());
        w.length(db.expires_size());
        db.keys().for_each([&](const Database::Keys::Entry& e) {
            auto deadline = db.expire_of(e.key);
            if (deadline && *deadline <= options.now_ms) return;  // already dead: not worth saving
            if (deadline) {
                w.byte(kOpExpireTimeMs);
                w.u64le(static_cast<uint64_t>(*deadline));
            }
            write_value(w, e.key, const_cast<Value&>(e.value));
            if (options.key_save_delay_us > 0) ::usleep(static_cast<useconds_t>(options.key_save_delay_us));
        });
    }
    w.finish();
}

}  // namespace miniredis
