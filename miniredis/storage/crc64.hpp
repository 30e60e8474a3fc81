// miniredis/storage/crc64.hpp
//
// CONCEPT: the checksum at the end of an RDB file - Redis's CRC-64 ("Jones" polynomial
// 0xad93d23594c935a9, reflected: bits are processed lowest first, initial value 0, no final xor).
//
// A CRC is the remainder of dividing the file, seen as one huge polynomial over GF(2), by a fixed
// polynomial. Any single flipped bit, and any burst shorter than 64 bits, changes the remainder,
// which is why one number at the end is enough to say "this file is not what was written".
// It cannot say *where*: a loader that finds a mismatch knows only the range the CRC covers.
//
//   crc = 0
//   for each byte b:  crc = table[(crc ^ b) & 0xff] ^ (crc >> 8)     (table: 256 precomputed steps)
//
// The check value every CRC-64/Jones implementation must give: crc64("123456789") = 0xe9c6d914c4b8d9ca.
// READ NEXT: rdb_writer.cpp (the trailer), rdb_loader.cpp (the check before anything is loaded).
#pragma once

#include <cstdint>
#include <string_view>

namespace miniredis {

// Continues a CRC-64/Jones over `bytes` (start with crc = 0).
uint64_t crc64(uint64_t crc, std::string_view bytes);

}  // namespace miniredis
