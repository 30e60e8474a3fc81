// CRC-64/Jones, one table lookup per byte (see crc64.hpp).
#include "storage/crc64.hpp"

#include <array>

namespace miniredis {
namespace {

// The polynomial 0xad93d23594c935a9 with its bits reversed: in the reflected form the register
// shifts right, so the low bit is the one that "falls out" and decides whether to xor.
constexpr uint64_t kReflectedPoly = 0x95ac9329ac4bc9b5ULL;

// table[i] = the register after feeding the 8 bits of i into a zero register, one at a time.
constexpr std::array<uint64_t, 256> make_table() {
    std::array<uint64_t, 256> table{};
    for (uint64_t i = 0; i < 256; ++i) {
        uint64_t crc = i;
        for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ kReflectedPoly : crc >> 1;
        table[i] = crc;
    }
    return table;
}

constexpr std::array<uint64_t, 256> kTable = make_table();

}  // namespace

uint64_t crc64(uint64_t crc, std::string_view bytes) {
    for (char c : bytes) crc = kTable[(crc ^ static_cast<uint8_t>(c)) & 0xff] ^ (crc >> 8);
    return crc;
}

}  // namespace miniredis
