// miniredis/model/bitops.cpp
//
// Bit operations on byte strings (see bitops.hpp).
//
// CONCEPT: see bitops.hpp - bits addressed inside a string, big-endian within each byte (bit 0 is
// the most significant bit of byte 0), as Redis does, so a bitmap SETBIT by one client reads the
// same in GETRANGE by another.
// READ NEXT: commands/bitmaps.cpp, docs/miniredis/05-probabilistic-and-bits.md.
#include "model/bitops.hpp"

#include <bit>
#include <climits>
#include <cstring>

namespace miniredis::bits {

// BITCOUNT's core: the number of 1 bits. A daily-active-users bitmap (bit n = user n was seen) makes
// "how many users today?" one pass over the bytes - 12.5 MB for 100 million users, counted in a few
// milliseconds with one popcount per 64-bit word.
uint64_t popcount(std::string_view bytes) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    size_t n = bytes.size(), i = 0;
    uint64_t count = 0;
    for (; i + 8 <= n; i += 8) {  // a word at a time: one popcount instruction per 64 bits
        uint64_t word;
        std::memcpy(&word, p + i, 8);
        count += static_cast<uint64_t>(std::popcount(word));
    }
    for (; i < n; ++i) count += static_cast<uint64_t>(std::popcount(p[i]));
    return count;
}

// BITPOS's core: the first bit equal to `bit` in [first, last]. Whole bytes that cannot contain it
// (0x00 when seeking a 1, 0xff when seeking a 0) are skipped with one comparison each.
int64_t find_bit(std::string_view bytes, uint64_t first, uint64_t last, bool bit) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    uint64_t first_byte = first >> 3, last_byte = last >> 3;
    for (uint64_t b = first_byte; b <= last_byte; ++b) {
        uint8_t v = p[b];
        // Bits of the edge bytes outside [first, last] are made to look like "not what we seek".
        uint8_t outside = 0;
        if (b == first_byte) outside |= static_cast<uint8_t>(~(0xffu >> (first & 7)));
        if (b == last_byte) outside |= static_cast<uint8_t>((1u << (7 - (last & 7))) - 1);
        v = bit ? static_cast<uint8_t>(v & ~outside) : static_cast<uint8_t>(v | outside);
        if (bit ? v == 0 : v == 0xff) continue;
        uint8_t seek = bit ? v : static_cast<uint8_t>(~v);  // the first 1 of `seek` is our bit
        return static_cast<int64_t>(b * 8 + static_cast<uint64_t>(std::countl_zero(seek)));
    }
    return -1;
}

// BITFIELD reads and writes integers of any width 1..64 at any bit offset - fields need not be
// byte-aligned, so they are assembled bit by bit in the same most-significant-first order as
// SETBIT. Slow per bit, but fields are at most 64 bits and the code is obviously right.
uint64_t get_unsigned(const uint8_t* p, uint64_t offset, unsigned width) {
    uint64_t value = 0;
    for (unsigned j = 0; j < width; ++j) {
        uint64_t pos = offset + j;
        value = (value << 1) | ((p[pos >> 3] >> (7 - (pos & 7))) & 1);
    }
    return value;
}

int64_t get_signed(const uint8_t* p, uint64_t offset, unsigned width) {
    uint64_t value = get_unsigned(p, offset, width);
    // Two's complement: if the field's top bit is set, extend it through the upper bits.
    if (width < 64 && (value & (uint64_t{1} << (width - 1)))) value |= ~uint64_t{0} << width;
    return static_cast<int64_t>(value);
}

void set_unsigned(uint8_t* p, uint64_t offset, unsigned width, uint64_t value) {
    for (unsigned j = 0; j < width; ++j) {
        uint64_t pos = offset + j;
        uint8_t mask = static_cast<uint8_t>(1u << (7 - (pos & 7)));
        if (value & (uint64_t{1} << (width - 1 - j)))
            p[pos >> 3] |= mask;
        else
            p[pos >> 3] &= static_cast<uint8_t>(~mask);
    }
}

// BITFIELD INCRBY's OVERFLOW policy: WRAP (modular arithmetic, the default), SAT (stick at the
// minimum or maximum) or FAIL (do nothing, reply nil). Checked before the write, so FAIL leaves the
// field untouched - a counter that must never wrap can rely on it.
int check_unsigned(uint64_t value, int64_t incr, unsigned width, Overflow how, uint64_t& limit) {
    uint64_t max = width == 64 ? UINT64_MAX : (uint64_t{1} << width) - 1;
    auto maxincr = static_cast<int64_t>(max - value);
    auto minincr = static_cast<int64_t>(0 - value);
    auto wrap = [&] {
        limit = (value + static_cast<uint64_t>(incr)) & max;  // keep the low `width` bits
        return 1;
    };
    if (value > max || (incr > 0 && incr > maxincr)) {
        if (how == Overflow::wrap) return wrap();
        if (how == Overflow::sat) limit = max;
        return 1;
    }
    if (incr < 0 && incr < minincr) {
        if (how == Overflow::wrap) return wrap();
        if (how == Overflow::sat) limit = 0;
        return -1;
    }
    return 0;
}

int check_signed(int64_t value, int64_t incr, unsigned width, Overflow how, int64_t& limit) {
    int64_t max = width == 64 ? INT64_MAX : (int64_t{1} << (width - 1)) - 1;
    int64_t min = -max - 1;
    // Computed in unsigned arithmetic (it may wrap); only read when `value` is in range.
    auto maxincr = static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
    auto minincr = static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
    auto wrap = [&] {
        uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
        if (width < 64) {
            uint64_t mask = ~uint64_t{0} << width;
            c = (c & (uint64_t{1} << (width - 1))) ? c | mask : c & ~mask;
        }
        limit = static_cast<int64_t>(c);
        return 1;
    };
    if (value > max || (width != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
        if (how == Overflow::wrap) return wrap();
        if (how == Overflow::sat) limit = max;
        return 1;
    }
    if (value < min || (width != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)) {
        if (how == Overflow::wrap) return wrap();
        if (how == Overflow::sat) limit = min;
        return -1;
    }
    return 0;
}

}  // namespace miniredis::bits
