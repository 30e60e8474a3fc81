// Snapshot encoding and decoding (format in snapshot.hpp).
#include "storage/snapshot.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include <stdexcept>

#include "crc32c.hpp"
#include "model/clock.hpp"

namespace miniredis {
namespace {

enum Opcode : uint8_t { kSelectDb = 0xFE, kExpireMs = 0xFC, kEnd = 0xFF };

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

void put_str(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out.append(s);
}

template <typename T>
void put_le(std::string& out, T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));  // x86-64 is little-endian, as the format is
    out.append(bytes, sizeof(T));
}

// A cursor over the file's bytes with a sticky `ok`: every read is bounds-checked.
struct Reader {
    std::string_view bytes;
    size_t pos = 0;
    bool ok = true;

    uint8_t u8() {
        if (pos >= bytes.size()) return fail();
        return static_cast<uint8_t>(bytes[pos++]);
    }
    uint64_t varint() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            uint8_t b = u8();
            if (!ok) return 0;
            v |= static_cast<uint64_t>(b & 0x7F) << shift;
            if (!(b & 0x80)) return v;
        }
        return fail();
    }
    std::string_view str() {
        uint64_t n = varint();
        if (!ok || n > bytes.size() - pos) {
            fail();
            return {};
        }
        std::string_view s = bytes.substr(pos, n);
        pos += n;
        return s;
    }
    template <typename T>
    T le() {
        if (bytes.size() - pos < sizeof(T)) {
            fail();
            return T{};
        }
        T value;
        std::memcpy(&value, bytes.data() + pos, sizeof(T));
        pos += sizeof(T);
        return value;
    }
    // A count of elements can not exceed the bytes left (each takes at least one byte): this stops
    // a corrupted count from reserving gigabytes.
    uint64_t count() {
        uint64_t n = varint();
        if (n > bytes.size() - pos) fail();
        return ok ? n : 0;
    }
    uint8_t fail() {
        ok = false;
        return 0;
    }
};

// A stream: its live entries (re-packed into blocks on load), its counters, and every group with
// its consumers and pending entries - enough that after a restart a pending entry is still
// pending, with its consumer, delivery time and count, and an acknowledged one is not.
//
//   count, then per entry: ms seq n field value ...
//   last_id  max_deleted_id  entries_added
//   groups: name last_id entries_read+1, consumers: name seen_time, pel: ms seq consumer time count
void put_id(std::string& out, StreamID id) {
    put_varint(out, id.ms);
    put_varint(out, id.seq);
}

void encode_stream(std::string& out, const Stream& s) {
    put_varint(out, s.length());
    s.range({0, 0}, StreamID::max(), false, [&](const StreamEntryView& e) {
        put_id(out, e.id);
        put_varint(out, e.fields_values.size());
        for (std::string_view f : e.fields_values) put_str(out, f);
        return true;
    });
    put_id(out, s.last_id);
    put_id(out, s.max_deleted_id);
    put_varint(out, s.entries_added);
    put_varint(out, s.groups.size());
    for (const auto& [name, g] : s.groups) {
        put_str(out, name);
        put_id(out, g->last_id);
        put_varint(out, static_cast<uint64_t>(g->entries_read + 1));  // -1 (unknown) is stored as 0
        put_varint(out, g->consumers.size());
        for (const auto& [cname, c] : g->consumers) {
            put_str(out, cname);
            put_le<int64_t>(out, c->seen_time);
        }
        put_varint(out, g->pel.size());
        for (const auto& [id, p] : g->pel) {
            put_id(out, id);
            put_str(out, p.consumer->name);
            put_le<int64_t>(out, p.delivery_time);
            put_varint(out, p.delivery_count);
        }
    }
}

// Every structural promise is checked (IDs increasing, pending entries owned by a known
// consumer): a damaged file is an error, not a stream that breaks later.
bool decode_stream(Reader& in, Stream& s) {
    auto id = [&] { return StreamID{in.varint(), in.varint()}; };
    std::vector<std::string_view> fv;
    StreamID previous;
    for (uint64_t i = 0, n = in.count(); i < n && in.ok; ++i) {
        StreamID eid = id();
        uint64_t m = in.count();
        fv.clear();
        for (uint64_t j = 0; j < m && in.ok; ++j) fv.push_back(in.str());
        if (!in.ok || m % 2 != 0 || eid <= previous) return in.fail();
        s.append(eid, fv);
        previous = eid;
    }
    s.last_id = id();
    s.max_deleted_id = id();
    s.entries_added = in.varint();
    if (s.last_id < previous) return in.fail();
    for (uint64_t i = 0, n = in.count(); i < n && in.ok; ++i) {
        std::string name(in.str());
        auto g = std::make_unique<ConsumerGroup>();
        g->last_id = id();
        g->entries_read = static_cast<int64_t>(in.varint()) - 1;
        for (uint64_t j = 0, c = in.count(); j < c && in.ok; ++j) {
            std::string_view cname = in.str();
            auto seen = in.le<int64_t>();
            if (seen < 0) return in.fail();
            if (in.ok) g->consumer_or_create(cname, seen);
        }
        for (uint64_t j = 0, c = in.count(); j < c && in.ok; ++j) {
            StreamID pid = id();
            StreamConsumer* owner = g->consumer(in.str());
            auto time = in.le<int64_t>();
            uint64_t count = in.varint();
            if (!in.ok || !owner || time < 0) return in.fail();  // idle = now - time must not overflow
            g->assign(pid, *owner, time).delivery_count = count;
        }
        if (!in.ok) return false;
        s.groups.emplace(std::move(name), std::move(g));
    }
    return in.ok;
}

}  // namespace

// Serialising is one walk over every database. In BGSAVE this runs in the forked child, on its
// copy-on-write view of memory: the parent keeps changing keys, the child sees the instant of the
// fork. Containers are written element by element, the zset in score order (reloading inserts at
// the end of the skiplist's walk - cheap).
void encode_snapshot(std::vector<Database>& databases, int64_t now_ms, std::string& out) {
    size_t start = out.size();
    out.append(kSnapshotMagic);
    out.push_back(1);  // version
    for (Database& db : databases) {
        if (db.size() == 0) continue;
        out.push_back(static_cast<char>(kSelectDb));
        put_varint(out, static_cast<uint64_t>(db.index()));
        db.keys().for_each([&](const Database::Keys::Entry& e) {
            auto deadline = db.expire_of(e.key);
            if (deadline && *deadline <= now_ms) return;  // already dead: not worth saving
            if (deadline) {
                out.push_back(static_cast<char>(kExpireMs));
                put_le<int64_t>(out, *deadline);
            }
            Value& v = const_cast<Value&>(e.value);
            out.push_back(static_cast<char>(v.type()));
            put_str(out, e.key);
            switch (v.type()) {
                case Type::string:
                    put_str(out, *v.string());
                    break;
                case Type::list:
                    put_varint(out, v.list()->size());
                    for (const SmallString& s : *v.list()) put_str(out, s);
                    break;
                case Type::hash:
                    put_varint(out, v.hash()->size());
                    v.hash()->for_each([&](const Hash::Entry& f) {
                        put_str(out, f.key);
                        put_str(out, f.value);
                    });
                    break;
                case Type::set:
                    put_varint(out, v.set()->size());
                    v.set()->for_each([&](const Set::Entry& m) { put_str(out, m.key); });
                    break;
                case Type::zset:
                    put_varint(out, v.zset()->size());
                    for (auto* n = v.zset()->first(); n; n = n->next()) {
                        put_str(out, n->member);
                        put_le<double>(out, n->score);
                    }
                    break;
                case Type::stream:
                    encode_stream(out, *v.stream());
                    break;
            }
        });
    }
    out.push_back(static_cast<char>(kEnd));
    put_le<uint32_t>(out, mb::crc32c(std::string_view(out).substr(start)));
}

// Loading is defensive by design: a snapshot is read after crashes, from disks that fail, and a
// corrupted file must produce a message, not a crash or a half-loaded dataset. Hence the sticky
// Reader (every length checked against the bytes left), and two passes - the first only checks
// structure and CRC, the second creates keys.
namespace {

// Both decode_snapshot and the repair's salvage run this. Errors read "corrupt at byte N: why".
// `salvage`: skip the checksum and keep every key decoded before the first broken record.
size_t decode(std::string_view bytes, std::vector<Database>& databases, std::string& error, bool salvage,
              size_t* stopped_at) {
    if (!looks_like_snapshot(bytes)) {
        size_t at = 0;
        while (at < bytes.size() && at < kSnapshotMagic.size() && bytes[at] == kSnapshotMagic[at]) ++at;
        error = fmt::format("corrupt at byte {}: not a miniredis snapshot (bad magic)", at);
        return 0;
    }
    Reader in{bytes, kSnapshotMagic.size()};
    if (uint8_t version = in.u8(); version != 1) {
        error = fmt::format("corrupt at byte {}: unsupported snapshot version {}", in.pos - 1, version);
        return 0;
    }
    // Two passes: first find the end and check the CRC, then load - no half-loaded datasets.
    // Structure errors name where decoding failed: at or after the damaged byte.
    auto structure_error = [&] {
        error = fmt::format("corrupt at byte {}: truncated or malformed record", in.pos);
        return 0;
    };
    Database* db = &databases[0];
    std::optional<int64_t> deadline;
    auto skip_or_load = [&](bool load) -> bool {
        in.pos = kSnapshotMagic.size() + 1;
        db = &databases[0];
        for (;;) {
            uint8_t op = in.u8();
            if (!in.ok) return false;
            if (op == kEnd) return true;
            if (op == kSelectDb) {
                uint64_t index = in.varint();
                if (!in.ok) return false;
                if (index >= databases.size()) {
                    error = fmt::format("corrupt at byte {}: snapshot uses database {} but only {} are configured",
                                        in.pos, index, databases.size());
                    in.ok = false;
                    return false;
                }
                db = &databases[index];
                continue;
            }
            if (op == kExpireMs) {
                deadline = in.le<int64_t>();
                continue;
            }
            if (op > static_cast<uint8_t>(Type::stream)) return in.fail();
            std::string_view key = in.str();
            Value value;
            switch (static_cast<Type>(op)) {
                case Type::string:
                    value = Value::of_string(in.str());
                    break;
                case Type::list: {
                    value = Value::of<List>();
                    for (uint64_t i = 0, n = in.count(); i < n && in.ok; ++i) value.list()->emplace_back(in.str());
                    break;
                }
                case Type::hash: {
                    value = Value::of<Hash>();
                    for (uint64_t i = 0, n = in.count(); i < n && in.ok; ++i) {
                        std::string_view field = in.str(), v = in.str();
                        if (in.ok) value.hash()->insert(field).first->value.assign(v);
                    }
                    break;
                }
                case Type::set: {
                    value = Value::of<Set>();
                    for (uint64_t i = 0, n = in.count(); i < n && in.ok; ++i) {
                        std::string_view member = in.str();
                        if (in.ok) value.set()->insert(member);
                    }
                    break;
                }
                case Type::zset: {
                    value = Value::of<ZSet>();
                    for (uint64_t i = 0, n = in.count(); i < n && in.ok; ++i) {
                        std::string_view member = in.str();
                        double score = in.le<double>();
                        if (in.ok) value.zset()->set(member, score);
                    }
                    break;
                }
                case Type::stream:
                    value = Value::of<Stream>();
                    decode_stream(in, *value.stream());
                    break;
            }
            if (!in.ok) return false;
            if (load) {
                db->set(key, std::move(value));
                if (deadline) db->set_expire(key, *deadline);
            }
            deadline.reset();
        }
    };
    if (salvage) {
        // Keep what decodes; skip_or_load adds a key only once all of it was read.
        bool whole = skip_or_load(true);
        *stopped_at = in.pos;
        return whole ? in.pos : 0;
    }
    if (!skip_or_load(false)) return error.empty() ? structure_error() : 0;
    size_t data_end = in.pos;
    auto stored_crc = in.le<uint32_t>();
    if (!in.ok) return structure_error();
    if (stored_crc != mb::crc32c(bytes.substr(0, data_end))) {
        // One CRC over the file says *that* a byte changed, not which: the range is all we know.
        error = fmt::format("corrupt at byte 0: checksum mismatch over bytes 0-{}", data_end);
        return 0;
    }
    skip_or_load(true);
    return data_end + 4;
}

}  // namespace

size_t decode_snapshot(std::string_view bytes, std::vector<Database>& databases, std::string& error) {
    return decode(bytes, databases, error, false, nullptr);
}

RepairOutcome repair_snapshot(const std::string& path, int databases) {
    RepairOutcome r;
    r.file = path;
    std::string bytes, error;
    if (!read_file(path, bytes, error)) {
        if (!error.empty()) throw std::runtime_error(error);
        return r;
    }
    ManualClock clock(0);
    KeyspaceEnv env;
    env.clock = &clock;
    env.loading = true;
    auto fresh = [&] {
        std::vector<Database> dbs;
        for (int i = 0; i < databases; ++i) dbs.emplace_back(i, env);
        return dbs;
    };
    std::vector<Database> check = fresh();
    if (decode_snapshot(bytes, check, error) != 0) return r;
    r.damaged = true;
    r.problem = error.substr(error.find(": ") + 2);
    r.offset = std::stoull(error.substr(std::string_view("corrupt at byte ").size()));
    // A cut would leave no end marker and no checksum: keep the keys that still decode instead.
    std::vector<Database> kept = fresh();
    size_t stopped = 0;
    decode(bytes, kept, error, true, &stopped);
    size_t keys = 0;
    for (Database& db : kept) keys += db.size();
    r.backup = keep_backup(path);
    if (std::string failed = save_snapshot(kept, 0, path); !failed.empty()) throw std::runtime_error(failed);
    r.repaired = true;
    r.note = bytes.size() >= 4 && stopped >= bytes.size() - 4
                 ? fmt::format(
                       "all {} keys still decode and were kept with a new checksum (a value may hold the "
                       "changed byte: compare with the backup)",
                       keys)
                 : fmt::format("kept the {} keys before byte {} with a new checksum; the rest is lost", keys, stopped);
    return r;
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) error = "cannot open " + path + ": " + std::strerror(errno);
        return false;
    }
    out.clear();
    char chunk[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = "cannot read " + path + ": " + std::strerror(errno);
            ::close(fd);
            return false;
        }
        if (n == 0) break;
        out.append(chunk, static_cast<size_t>(n));
    }
    ::close(fd);
    return true;
}

// The crash-safe way to replace a file on POSIX: write a new file, fsync it, rename it over the old
// one (rename is atomic), fsync the directory (so the rename itself survives a power cut).
std::string write_file_atomically(const std::string& path, std::string_view bytes) {
    std::string temp = path + ".tmp-" + std::to_string(getpid());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return "cannot create " + temp + ": " + std::strerror(errno);
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            std::string reason = "cannot write " + temp + ": " + std::strerror(errno);
            ::close(fd);
            ::unlink(temp.c_str());
            return reason;
        }
        done += static_cast<size_t>(n);
    }
    // Data on disk before the rename makes it visible; the directory entry on disk after it.
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(temp.c_str());
        return "cannot fsync " + temp + ": " + std::strerror(errno);
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        ::unlink(temp.c_str());
        return "cannot rename " + temp + ": " + std::strerror(errno);
    }
    std::string dir = std::filesystem::path(path).parent_path().string();
    int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
    return {};
}

std::string save_snapshot(std::vector<Database>& databases, int64_t now_ms, const std::string& path) {
    std::string bytes;
    encode_snapshot(databases, now_ms, bytes);
    return write_file_atomically(path, bytes);
}

}  // namespace miniredis
