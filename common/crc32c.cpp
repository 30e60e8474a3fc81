// common/crc32c.cpp
//
// CRC32C: the fastest path this CPU has, picked at run time - carry-less multiplication folding
// 256 bytes per step (AVX-512 VPCLMULQDQ), the SSE4.2 `crc32` instruction on three streams at
// once, or a slicing-by-8 table.
//
// CONCEPT: see crc32c.hpp. Why three implementations? A Kafka produce request carries batches whose
// CRC we check on the broker thread; at a few hundred MB/s the checksum becomes a visible share of
// the request's cost with a table, and all but disappears with the hardware instruction. The table
// version stays as the portable reference (tests/common/crc32c_test.cpp checks the known values).
//
//   cpu has AVX-512 + VPCLMULQDQ? ──▶ fold 256 bytes per step
//   else SSE4.2?                  ──▶ crc32 instruction, three interleaved streams
//   else                          ──▶ slicing-by-8 table
// READ NEXT: crc32c.hpp.
#include "crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace mb {
namespace {

// Castagnoli's polynomial 0x1EDC6F41, bit-reversed for the LSB-first order. Kafka's v2 record
// batches (KIP-98) chose it over the Ethernet CRC-32 of the older formats, as iSCSI, ext4 and SCTP
// had: it detects more errors at the lengths these messages have, and SSE4.2 computes it in
// hardware.
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

// `reg` is the CRC register itself (no inversion at the start or the end).
__attribute__((target("sse4.2"))) uint32_t extend_sse42(const char* p, size_t n, uint32_t reg) {
    uint64_t c = reg;
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
    return c32;
}

uint32_t crc32c_sse42(std::string_view bytes, uint32_t crc) { return ~extend_sse42(bytes.data(), bytes.size(), ~crc); }

// Folding (the idea of Intel's white paper "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ Instruction"). Four 64-byte registers hold the first 256 bytes; each step moves every
// 16-byte lane 256 bytes further along the message and adds (xors) the bytes found there. Moving
// a lane is multiplying it by x^2048, and modulo the polynomial that is two 64x32-bit carry-less
// products with precomputed constants, so the registers stay congruent to everything read so far.
// At the end the 256 bytes they hold have the same CRC as the whole prefix, and the `crc32`
// instruction finishes them and the tail.
constexpr uint32_t x_to_the(uint64_t n) {  // x^n mod P
    uint32_t result = 1u << 31;            // x^0
    uint32_t power = 1u << 30;             // x^1
    for (; n != 0; n >>= 1) {
        if (n & 1) result = multiply_mod(result, power);
        power = multiply_mod(power, power);
    }
    return result;
}
// A lane's first 8 bytes (the low half of the register) are x^64 further from the end than its
// last 8; the product of two bit-reflected numbers comes out one place short, hence the -1.
constexpr size_t kFoldBits = 256 * 8;
constexpr uint64_t kFoldFirstHalf = uint64_t{x_to_the(kFoldBits + 64 - 1)} << 32;
constexpr uint64_t kFoldSecondHalf = uint64_t{x_to_the(kFoldBits - 1)} << 32;

// Four lanes moved 256 bytes on, plus the 64 bytes found there.
__attribute__((target("avx512f,vpclmulqdq"), always_inline)) inline __m512i fold(__m512i lanes, __m512i constants,
                                                                                 const char* next) {
    __m512i first = _mm512_clmulepi64_epi128(lanes, constants, 0x00);                 // low halves
    __m512i second = _mm512_clmulepi64_epi128(lanes, constants, 0x11);                // high halves
    return _mm512_ternarylogic_epi64(first, second, _mm512_loadu_si512(next), 0x96);  // a ^ b ^ c
}

__attribute__((target("avx512f,vpclmulqdq,sse4.2"))) uint32_t crc32c_vpclmulqdq(std::string_view bytes, uint32_t crc) {
    const char* p = bytes.data();
    size_t n = bytes.size();
    if (n < 512) return crc32c_sse42(bytes, crc);  // folding pays from a few hundred bytes on
    const __m512i constants =
        _mm512_set4_epi64(static_cast<long long>(kFoldSecondHalf), static_cast<long long>(kFoldFirstHalf),
                          static_cast<long long>(kFoldSecondHalf), static_cast<long long>(kFoldFirstHalf));
    // A CRC that starts from register value r is the CRC from 0 of the message with r xored into
    // its first four bytes.
    __m512i x0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128(~crc)));
    __m512i x1 = _mm512_loadu_si512(p + 64);
    __m512i x2 = _mm512_loadu_si512(p + 128);
    __m512i x3 = _mm512_loadu_si512(p + 192);
    p += 256;
    n -= 256;
    for (; n >= 256; p += 256, n -= 256) {
        x0 = fold(x0, constants, p);
        x1 = fold(x1, constants, p + 64);
        x2 = fold(x2, constants, p + 128);
        x3 = fold(x3, constants, p + 192);
    }
    alignas(64) char folded[256];
    _mm512_store_si512(folded, x0);
    _mm512_store_si512(folded + 64, x1);
    _mm512_store_si512(folded + 128, x2);
    _mm512_store_si512(folded + 192, x3);
    return ~extend_sse42(p, n, extend_sse42(folded, sizeof folded, 0));
}

bool has_vpclmulqdq() {
    static const bool has =
        __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("sse4.2");
    return has;
}
#endif

}  // namespace

// The inversions (~crc in, ~c out) are the standard's: the register starts all ones so that
// leading zero bytes still change the result, and the final value is inverted. Passing a previous
// result as `crc` therefore continues it, as if the two inputs had been one.
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

std::vector<Crc32cImplementation> crc32c_implementations() {
    std::vector<Crc32cImplementation> found;
#if defined(__x86_64__)
    if (has_vpclmulqdq()) found.push_back({"avx512 vpclmulqdq", &crc32c_vpclmulqdq});
    if (crc32c_has_hardware()) found.push_back({"sse4.2", &crc32c_sse42});
#endif
    found.push_back({"portable", &crc32c_portable});
    return found;
}

uint32_t crc32c(std::string_view bytes, uint32_t crc) {
    static const auto best = crc32c_implementations().front().function;
    return best(bytes, crc);
}

}  // namespace mb
