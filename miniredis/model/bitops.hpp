// miniredis/model/bitops.hpp
//
// Bit operations on byte strings: the arithmetic behind SETBIT, BITCOUNT, BITPOS and BITFIELD.
//
// CONCEPT: a bitmap is not a new type - it is a string read as an array of bits. Bit 0 is the
// *most* significant bit of byte 0, so the bits read left to right as they are drawn:
//
//   byte:      0                 1
//   bits:   [0 1 2 3 4 5 6 7] [8 9 10 11 12 13 14 15]
//   "\x80" = 1 0 0 0 0 0 0 0  -> GETBIT k 0 = 1
//
// That makes one bit per user id a very small table: "did user 1,000,000 log in today?" is bit
// 1,000,000 of the day's string (125 KB for a million users), and BITCOUNT counts the day's active
// users with a popcount over the bytes - 8 bits per byte lookup, or 64 per instruction.
//
// BITFIELD goes further: the same string as an array of integers of any width from 1 to 64 bits,
// at any bit offset, signed (i1..i64) or unsigned (u1..u63 - u64 would not fit Redis' signed
// integer reply). Increments that leave the type's range WRAP around (two's complement, the
// default), SATurate at the limit, or FAIL (no write, nil reply) - counters that must not roll over.
//
// REAL REDIS: bitops.c - the same bit order and overflow rules; popcount and bitpos there are
// hand-unrolled, here the compiler's popcount instruction does the same job.
//
// READ NEXT: commands/bitmaps.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace miniredis::bits {

// Set bits in `bytes` (BITCOUNT).
uint64_t popcount(std::string_view bytes);

// The first bit equal to `bit` between bit offsets [first, last] (inclusive), or -1.
int64_t find_bit(std::string_view bytes, uint64_t first, uint64_t last, bool bit);

// Integers of `width` bits stored most significant bit first, starting at bit `offset`. The
// caller guarantees the bytes exist (the string was grown, or the read is zero-padded).
uint64_t get_unsigned(const uint8_t* p, uint64_t offset, unsigned width);
int64_t get_signed(const uint8_t* p, uint64_t offset, unsigned width);
void set_unsigned(uint8_t* p, uint64_t offset, unsigned width, uint64_t value);

enum class Overflow { wrap, sat, fail };

// Does value + incr leave the range of the type? 0 = fits; otherwise 1 (above) / -1 (below) and
// `limit` = what WRAP or SAT would store instead. Redis' checkSignedBitfieldOverflow and
// checkUnsignedBitfieldOverflow, including their handling of values already out of range.
int check_unsigned(uint64_t value, int64_t incr, unsigned width, Overflow how, uint64_t& limit);
int check_signed(int64_t value, int64_t incr, unsigned width, Overflow how, int64_t& limit);

}  // namespace miniredis::bits
