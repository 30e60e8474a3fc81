// miniredis/storage/intset.cpp
//
// Intset encoding and decoding (layout in intset.hpp).
//
// CONCEPT: see intset.hpp. Only read and written in RDB files (miniredis keeps sets as hash tables in
// memory): writing small integer sets as Redis does keeps our dump.rdb byte-compatible.
// READ NEXT: rdb_writer.cpp.
#include "storage/intset.hpp"

namespace miniredis {
namespace {

// An intset's integers are little-endian of the set's width; decoding widens them to int64.
uint64_t get_le(const unsigned char* p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{p[i]} << (8 * i);
    return v;
}

// Writing an intset for dump.rdb: the same byte layout redis-server keeps in memory, so its loader
// can take the blob as it is.
void put_le(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

// One pass to find the width, one to write: every element takes the width of the widest, which
// is what makes lookups a plain binary search over fixed-size slots.
// An intset is sorted integers of one width (2, 4 or 8 bytes, the smallest that holds them all),
// so membership is a binary search and a small set of small numbers costs 2 bytes per member.
std::string intset_encode(const std::vector<int64_t>& values) {
    int width = 2;  // the smallest width that holds every value
    for (int64_t v : values) {
        if (v < INT32_MIN || v > INT32_MAX)
            width = 8;
        else if ((v < INT16_MIN || v > INT16_MAX) && width < 4)
            width = 4;
    }
    std::string out;
    put_le(out, static_cast<uint64_t>(width), 4);
    put_le(out, values.size(), 4);
    for (int64_t v : values) put_le(out, static_cast<uint64_t>(v), width);
    return out;
}

// The checks mirror what Redis's own validation demands: a known width, a size that is exactly
// header + length * width, and strictly ascending values (sorted and without duplicates - a set).
// The width must be 2, 4 or 8 and the length must match the blob exactly, or the key is refused.
bool intset_decode(std::string_view blob, std::vector<int64_t>& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
    if (blob.size() < 8) return false;
    const auto width = static_cast<int>(get_le(p, 4));
    const uint64_t length = get_le(p + 4, 4);
    if ((width != 2 && width != 4 && width != 8) || (blob.size() - 8) != length * static_cast<uint64_t>(width))
        return false;
    for (uint64_t i = 0; i < length; ++i) {
        uint64_t raw = get_le(p + 8 + i * width, width);
        uint64_t sign = uint64_t{1} << (width * 8 - 1);
        auto v = width == 8 ? static_cast<int64_t>(raw) : static_cast<int64_t>((raw ^ sign) - sign);
        if (!out.empty() && i > 0 && v <= out.back()) return false;
        out.push_back(v);
    }
    return true;
}

}  // namespace miniredis
