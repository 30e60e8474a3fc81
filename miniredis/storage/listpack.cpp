// miniredis/storage/listpack.cpp
//
// Listpack encoding and decoding (the layout is drawn in listpack.hpp).
//
// CONCEPT: see listpack.hpp - Redis 7's packed list of strings and integers, the on-disk form of
// small hashes, lists, sorted sets and stream blocks. Each entry ends with its own length, encoded
// backwards, so the list can be walked from either end without an index.
// READ NEXT: rdb_values.cpp (its reader), ziplist.cpp (its predecessor).
#include "storage/listpack.hpp"

#include <cstring>

#include "protocol/numbers.hpp"

namespace miniredis {
namespace {

constexpr size_t kHeaderBytes = 6;  // total-bytes:u32 + count:u16
constexpr uint8_t kEnd = 0xFF;

// RDB's packed formats are little-endian throughout (they are memory images of Redis' structs on
// x86), unlike the RDB length prefixes, which are big-endian - two conventions in one file format.
void put_le(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Reading mirrors put_le; callers have checked that `bytes` bytes are there (need() below).
uint64_t get_le(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{p[i]} << (8 * i);
    return v;
}

// backlen: `len` in 7-bit groups, the most significant first, every byte but the first carrying
// the high bit - so that reading from the right, the high bit means "keep going left". The byte
// count follows Redis's boundaries exactly (16383 takes three bytes there, not two): a validator
// recomputes it, so ours must agree.
void put_backlen(std::string& out, size_t len) {
    int n = len <= 127 ? 1 : len < 16383 ? 2 : len < 2097151 ? 3 : len < 268435455 ? 4 : 5;
    for (int i = n - 1; i >= 0; --i) {
        auto group = static_cast<uint8_t>((len >> (7 * i)) & 127);
        out.push_back(static_cast<char>(i == n - 1 ? group : group | 128));
    }
}

}  // namespace

ListpackWriter::ListpackWriter() { blob_.assign(kHeaderBytes, '\0'); }

// The smallest encoding that holds the value: a listpack of small numbers costs 2 bytes per
// element (the byte itself and its backlen), which is why Redis keeps counters and IDs this way.
// Negative values use two's complement within the field's width; the reader sign-extends.
void ListpackWriter::append_int(int64_t v) {
    size_t start = blob_.size();
    auto u = static_cast<uint64_t>(v);
    if (v >= 0 && v <= 127) {
        blob_.push_back(static_cast<char>(v));
    } else if (v >= -4096 && v <= 4095) {
        uint64_t bits = u & 0x1fff;  // 13-bit two's complement
        blob_.push_back(static_cast<char>(0xC0 | (bits >> 8)));
        blob_.push_back(static_cast<char>(bits & 0xff));
    } else if (v >= -32768 && v <= 32767) {
        blob_.push_back(static_cast<char>(0xF1));
        put_le(blob_, u, 2);
    } else if (v >= -8388608 && v <= 8388607) {
        blob_.push_back(static_cast<char>(0xF2));
        put_le(blob_, u, 3);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        blob_.push_back(static_cast<char>(0xF3));
        put_le(blob_, u, 4);
    } else {
        blob_.push_back(static_cast<char>(0xF4));
        put_le(blob_, u, 8);
    }
    put_backlen(blob_, blob_.size() - start);
    ++count_;
}

// A string that *is* a canonical integer ("42", not "042" or "+42") is stored as one: reading it
// back as decimal text gives the same bytes, so nothing is lost - the same rule Redis applies.
void ListpackWriter::append(std::string_view s) {
    if (auto v = parse_int64(s)) return append_int(*v);
    size_t start = blob_.size();
    if (s.size() < 64) {
        blob_.push_back(static_cast<char>(0x80 | s.size()));
    } else if (s.size() < 4096) {
        blob_.push_back(static_cast<char>(0xE0 | (s.size() >> 8)));
        blob_.push_back(static_cast<char>(s.size() & 0xff));
    } else {
        blob_.push_back(static_cast<char>(0xF0));
        put_le(blob_, s.size(), 4);
    }
    blob_.append(s);
    put_backlen(blob_, blob_.size() - start);
    ++count_;
}

// The header is written last: only now are the total size and the count known.
// The header is written last: total bytes (u32) and element count (u16, 65535 = "count them"),
// both known only now; then the 0xFF terminator.
std::string ListpackWriter::finish() {
    blob_.push_back(static_cast<char>(kEnd));
    std::string out;
    out.swap(blob_);
    uint64_t total = out.size();
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((total >> (8 * i)) & 0xff);
    uint64_t count = count_ < 65535 ? count_ : 65535;
    out[4] = static_cast<char>(count & 0xff);
    out[5] = static_cast<char>(count >> 8);
    blob_.assign(kHeaderBytes, '\0');
    count_ = 0;
    return out;
}

// Decoding walks forwards, entry by entry. The first byte says which encoding follows and so how
// many bytes the entry has; every such size is checked against what is left before a byte of it
// is read (the end byte never counts as data). After each entry its backlen must be exactly what
// a writer would have produced - a cheap and strong check that the walk is still in step.
bool listpack_decode(std::string_view blob, std::vector<std::string>& out) {
    const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
    const size_t n = blob.size();
    if (n < kHeaderBytes + 1 || get_le(p, 4) != n || p[n - 1] != kEnd) return false;
    const uint64_t count = get_le(p + 4, 2);
    size_t pos = kHeaderBytes, seen = 0;
    while (pos < n - 1) {
        const size_t start = pos;
        const uint8_t b = p[pos];
        auto need = [&](size_t k) { return k <= n - 1 - pos; };  // the end byte is never data
        int64_t value = 0;
        bool is_int = true;
        size_t str_len = 0, str_at = 0;
        // A field of `bits` bits holds a two's complement number: flip and subtract the sign bit
        // to widen it to 64 bits.
        auto sign_extend = [](uint64_t v, int bits) {
            uint64_t m = uint64_t{1} << (bits - 1);
            return static_cast<int64_t>((v ^ m) - m);
        };
        if (b < 0x80) {
            value = b;
            pos += 1;
        } else if ((b & 0xC0) == 0x80) {
            is_int = false, str_len = b & 0x3f, str_at = pos + 1;
        } else if ((b & 0xE0) == 0xC0) {
            if (!need(2)) return false;
            value = sign_extend((uint64_t{b & 0x1fu} << 8) | p[pos + 1], 13);
            pos += 2;
        } else if ((b & 0xF0) == 0xE0) {
            if (!need(2)) return false;
            is_int = false, str_len = (size_t{b & 0x0fu} << 8) | p[pos + 1], str_at = pos + 2;
        } else if (b == 0xF0) {
            if (!need(5)) return false;
            is_int = false, str_len = get_le(p + pos + 1, 4), str_at = pos + 5;
        } else if (b >= 0xF1 && b <= 0xF4) {
            static constexpr int widths[] = {2, 3, 4, 8};
            int w = widths[b - 0xF1];
            if (!need(1 + w)) return false;
            value = sign_extend(get_le(p + pos + 1, w), w * 8);
            pos += 1 + w;
        } else {
            return false;  // 0xF5..0xFE are unused; 0xFF would be the end
        }
        if (!is_int) {
            if (str_len > n - 1 - str_at) return false;
            out.emplace_back(blob.substr(str_at, str_len));
            pos = str_at + str_len;
        } else {
            out.push_back(std::to_string(value));
        }
        // The backlen must say how long this entry was, in the bytes a writer would have used.
        std::string expected;
        put_backlen(expected, pos - start);
        if (expected.size() > n - 1 - pos || std::memcmp(expected.data(), p + pos, expected.size()) != 0) return false;
        pos += expected.size();
        ++seen;
    }
    // 65535 is "too many to count in 16 bits": then only the walk knows.
    return count == 65535 || count == seen;
}

}  // namespace miniredis
