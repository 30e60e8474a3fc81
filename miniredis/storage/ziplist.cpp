// miniredis/storage/ziplist.cpp
//
// Ziplist and zipmap decoding (layouts in ziplist.hpp). Every length is checked before use.
//
// CONCEPT: see ziplist.hpp - older Redis versions' packed encoding, read only: an RDB file from
// Redis 6 still loads. Every length is distrusted, since the bytes come from a file that may be
// damaged.
// READ NEXT: listpack.cpp.
#include "storage/ziplist.hpp"

#include <cstdint>

namespace miniredis {
namespace {

// Lengths and integers inside ziplists and zipmaps are little-endian, like listpacks.
uint64_t get_le(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{p[i]} << (8 * i);
    return v;
}

// The 24-bit integer encoding stores a signed value in three bytes; widening it to 64 bits must copy
// the sign bit into the upper bits.
int64_t sign_extend(uint64_t v, int bits) {
    if (bits == 64) return static_cast<int64_t>(v);
    uint64_t m = uint64_t{1} << (bits - 1);
    return static_cast<int64_t>((v ^ m) - m);
}

}  // namespace

// The loader only ever walks a ziplist forwards, so each entry's prevlen (the size of the entry
// before it, for walking backwards) is skipped; the encoding byte then says string or integer and
// how many bytes follow. Strings' lengths are big-endian here, integers little-endian - a quirk of
// the format, kept by Redis for compatibility.
// A ziplist entry starts with the previous entry's length (so it can be walked backwards), then its
// own encoding - the design listpack replaced because a growing "previous length" field could
// cascade updates through the whole list.
bool ziplist_decode(std::string_view blob, std::vector<std::string>& out) {
    const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
    const size_t n = blob.size();
    if (n < 11 || get_le(p, 4) != n || p[n - 1] != 0xFF) return false;
    size_t pos = 10;
    while (pos < n - 1) {
        auto left = [&] { return n - 1 - pos; };
        if (p[pos] == 0xFE) {  // prevlen: only skipped, the loader walks forwards
            if (left() < 5) return false;
            pos += 5;
        } else {
            pos += 1;
        }
        if (pos >= n - 1) return false;
        const uint8_t b = p[pos];
        size_t len = 0, header = 0;
        int int_bytes = -1;
        switch (b >> 6) {
            case 0:
                len = b & 0x3f, header = 1;
                break;
            case 1:
                if (left() < 2) return false;
                len = (size_t{b & 0x3fu} << 8) | p[pos + 1], header = 2;
                break;
            case 2:
                if (left() < 5) return false;
                len = (size_t{p[pos + 1]} << 24) | (size_t{p[pos + 2]} << 16) | (size_t{p[pos + 3]} << 8) | p[pos + 4];
                header = 5;
                break;
            default:
                if (b == 0xC0)
                    int_bytes = 2;
                else if (b == 0xD0)
                    int_bytes = 4;
                else if (b == 0xE0)
                    int_bytes = 8;
                else if (b == 0xF0)
                    int_bytes = 3;
                else if (b == 0xFE)
                    int_bytes = 1;
                else if (b >= 0xF1 && b <= 0xFD)
                    int_bytes = 0;
                else
                    return false;
        }
        if (int_bytes < 0) {
            if (len > left() - header) return false;
            out.emplace_back(blob.substr(pos + header, len));
            pos += header + len;
        } else if (int_bytes == 0) {
            out.push_back(std::to_string((b & 0x0f) - 1));
            pos += 1;
        } else {
            if (left() < static_cast<size_t>(1 + int_bytes)) return false;
            out.push_back(std::to_string(sign_extend(get_le(p + pos + 1, int_bytes), int_bytes * 8)));
            pos += 1 + int_bytes;
        }
    }
    return true;
}

// A zipmap is key, value, key, value, ... where each value may be followed by `free` unused bytes
// (room to grow in place). Its first byte counts the pairs only up to 253: a hint, not a promise.
// zipmap: the small-hash encoding of Redis 2.x, still found in very old RDB files.
bool zipmap_decode(std::string_view blob, std::vector<std::string>& out) {
    const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
    const size_t n = blob.size();
    size_t pos = 1;  // zmlen: a hint only
    auto length = [&](size_t& len) {
        if (pos >= n) return false;
        if (p[pos] < 254) {
            len = p[pos++];
            return true;
        }
        if (p[pos] != 254 || n - pos < 5) return false;
        len = get_le(p + pos + 1, 4);
        pos += 5;
        return true;
    };
    if (n < 2) return false;
    while (pos < n && p[pos] != 0xFF) {
        size_t klen = 0, vlen = 0;
        if (!length(klen) || klen > n - pos) return false;
        out.emplace_back(blob.substr(pos, klen));
        pos += klen;
        if (!length(vlen) || pos >= n) return false;
        size_t free = p[pos++];
        if (vlen > n - pos || free > n - pos - vlen) return false;
        out.emplace_back(blob.substr(pos, vlen));
        pos += vlen + free;
    }
    return pos == n - 1 && out.size() % 2 == 0;
}

}  // namespace miniredis
