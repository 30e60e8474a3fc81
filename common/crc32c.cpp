// CRC32C: a hardware path (SSE4.2 `crc32`, three streams at once) picked at run time, and a
// slicing-by-8 table fallback.
#include "crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace mb {
namespace {

constexpr uint32_t kPolyReflected = 0x82F63B78u;

// tables[k][b]: the CRC of byte b followed by k zero bytes; lets the loop eat 8 bytes per step.
constexpr std::array<std::array<uint32_t, 256>, 8> make_tables() {
    std::array<std::array<uint32_t, 256>, 8> t{};
    for (uint32_t b = 0; b < 256; ++b) {
        uint32_t c = b;
        for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1) ? kPolyReflected : 0);
        t[0][b] = c;
    }
    for (size_t k = 1; k < 8; ++k)
        for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
    return t;
}
constexpr auto kTables = make_tables();

// A CRC is linear, which is what lets three independent streams be stitched back together:
// running the CRC register r over a block B gives r * x^(8|B|) + crc(0, B) (mod the polynomial).
// multiply_mod() is that product in CRC32C's reflected bit order, where 0x80000000 is x^0.
constexpr uint32_t multiply_mod(uint32_t a, uint32_t b) {
    uint32_t product = 0;
    for (uint32_t bit = 1u << 31; bit != 0; bit >>= 1) {
        if (a & bit) product ^= b;
        b = (b & 1) ? (b >> 1) ^ kPolyReflected : b >> 1;  // b *= x
    }
    return product;
}

// x^(8 * bytes) mod the polynomial: "shift the register past this many bytes".
constexpr uint32_t shift_operator(size_t bytes) {
    uint32_t result = 1u << 31;  // x^0
    uint32_t power = 1u << 23;   // x^8: one byte
    for (; bytes != 0; bytes >>= 1) {
        if (bytes & 1) result = multiply_mod(result, power);
        power = multiply_mod(power, power);
    }
    return result;
}

#if defined(__x86_64__)
// The crc32 instruction has a latency of 3 cycles but can start one per cycle, so a single chain
// of them uses a third of the unit. Large inputs are cut into stripes of three lanes whose CRCs run
// interleaved, then are combined with the two shift operators (Intel's white paper "Fast CRC
// computation for iSCSI polynomial using CRC32 instruction" describes the idea).
constexpr size_t kLane = 4096;
constexpr uint32_t kShiftOneLane = shift_operator(kLane);
constexpr uint32_t kShiftTwoLanes = shift_operator(2 * kLane);

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(std::string_view bytes, uint32_t crc) {
    const char* p = bytes.data();
    size_t n = bytes.size();
    uint64_t c = ~crc;
    while (n >= 3 * kLane) {
        uint64_t b = 0, d = 0;
        for (size_t i = 0; i < kLane; i += 8) {
            uint64_t x, y, z;
            std::memcpy(&x, p + i, 8);
            std::memcpy(&y, p + kLane + i, 8);
            std::memcpy(&z, p + 2 * kLane + i, 8);
            c = _mm_crc32_u64(c, x);
            b = _mm_crc32_u64(b, y);
            d = _mm_crc32_u64(d, z);
        }
        c = multiply_mod(kShiftTwoLanes, static_cast<uint32_t>(c)) ^
            multiply_mod(kShiftOneLane, static_cast<uint32_t>(b)) ^ static_cast<uint32_t>(d);
        p += 3 * kLane;
        n -= 3 * kLane;
    }
    while (n >= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = static_cast<uint32_t>(c);
    while (n--) c32 = _mm_crc32_u8(c32, static_cast<uint8_t>(*p++));
    return ~c32;
}
#endif

}  // namespace

uint32_t crc32c_portable(std::string_view bytes, uint32_t crc) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    size_t n = bytes.size();
    uint32_t c = ~crc;
    while (n >= 8) {
        uint32_t lo;
        uint32_t hi;
        std::memcpy(&lo, p, 4);  // little-endian hosts only; the tables assume it
        std::memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^ kTables[5][(lo >> 16) & 0xFF] ^
            kTables[4][lo >> 24] ^ kTables[3][hi & 0xFF] ^ kTables[2][(hi >> 8) & 0xFF] ^
            kTables[1][(hi >> 16) & 0xFF] ^ kTables[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
    return ~c;
}

bool crc32c_has_hardware() {
#if defined(__x86_64__)
    static const bool has = __builtin_cpu_supports("sse4.2");
    return has;
#else
    return false;
#endif
}

uint32_t crc32c(std::string_view bytes, uint32_t crc) {
#if defined(__x86_64__)
    if (crc32c_has_hardware()) return crc32c_sse42(bytes, crc);
#endif
    return crc32c_portable(bytes, crc);
}

}  // namespace mb
