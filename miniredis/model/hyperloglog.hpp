// miniredis/model/hyperloglog.hpp
//
// HyperLogLog: counting distinct elements in 12 KB, whatever their number, with 0.81 % error.
//
// CONCEPT: "how many different visitors today?" needs, done exactly, a set of every visitor - a
// billion ids is gigabytes. HyperLogLog trades exactness for a fixed 12 KB:
//
//   1. hash the element to 64 random-looking bits (MurmurHash64A, murmurhash.hpp);
//   2. the low 14 bits pick one of 16384 registers;
//   3. in the remaining 50 bits, count the position of the first 1 bit ("0001..." -> 4). A run of
//      k zeros happens for 1 hash in 2^k, so seeing one hints that about 2^k distinct hashes went
//      by - and the register keeps the largest run it saw (6 bits: values 0..51 fit);
//   4. one register alone guesses wildly; 16384 of them, averaged with a *harmonic* mean (which
//      ignores the few lucky outliers), give a standard error of 1.04 / sqrt(16384) = 0.81 %.
//
//        64-bit hash:  [ 50 bits ........ 1000 ][ 14 bits: register index ]
//                                         ^^^^ read from the low end: three 0s, then a 1 -> 4
//
// Adding the same element twice changes nothing (same register, same count): the sketch counts
// *distinct* elements. Two sketches merge by taking the maximum register by register, which is
// why PFCOUNT of several keys gives the size of their union.
//
// The string layout (Redis' `struct hllhdr`, so a GET from redis-server SETs into miniredis):
//
//   +------+---+-----+----------+--------------------------------------------+
//   | HYLL | E | N/U | Cardin.  | registers: dense (12288 bytes) or sparse   |
//   +------+---+-----+----------+--------------------------------------------+
//     4     1   3      8 (LE; top bit of the last byte set = "cache invalid")
//   E = 0 dense: 16384 registers of 6 bits packed little-endian, always 12304 bytes in all;
//   E = 1 sparse: run-length opcodes - most registers of a small HLL are 0, so
//        00xxxxxx          ZERO:  xxxxxx+1 (1..64) registers are 0
//        01xxxxxx yyyyyyyy XZERO: 14-bit length+1 (1..16384) registers are 0
//        1vvvvvxx          VAL:   xx+1 (1..4) registers hold vvvvv+1 (1..32)
//      An empty HLL is the header plus one XZERO of 16384: 18 bytes. When a value above 32 must be
//      stored, or the sparse form would grow past hll-sparse-max-bytes (3000), it is promoted to
//      dense once and for all.
// The cached cardinality saves recounting 16384 registers on every PFCOUNT: PFADD invalidates it
// only when a register actually grew.
//
// REAL REDIS: hyperloglog.c - the same encodings, the same promotion rule and the same estimator
// (Ertl's improved estimator, "New cardinality estimation algorithms for HyperLogLog sketches",
// used since Redis 5), which is why PFCOUNT answers are identical to the last digit.
//
// READ NEXT: commands/hyperloglog.cpp (PFADD, PFCOUNT, PFMERGE).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "small_string.hpp"

namespace miniredis::hll {

inline constexpr int kP = 14;               // register index bits
inline constexpr int kQ = 64 - kP;          // bits left for the zero-run count (50)
inline constexpr int kRegisters = 1 << kP;  // 16384
inline constexpr int kBits = 6;             // bits per dense register
inline constexpr int kRegisterMax = (1 << kBits) - 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + (kRegisters * kBits + 7) / 8;  // 12304
inline constexpr size_t kDefaultSparseMaxBytes = 3000;                            // hll-sparse-max-bytes
inline constexpr uint8_t kDense = 0, kSparse = 1;

// Where an element lands: register index and the length of its zero run + 1 (1..51).
struct Pattern {
    int index;
    uint8_t count;
};
Pattern pattern_of(std::string_view element);

// A new, empty HLL (sparse, 18 bytes, cached cardinality 0).
std::string make_empty();

// Is this string shaped like an HLL (magic, known encoding, dense size exact)? Redis' check before
// any command touches the registers; the register contents are checked as they are read.
bool looks_valid(std::string_view bytes);
uint8_t encoding(std::string_view bytes);

// Adds one element. 1 = a register grew, 0 = nothing changed, -1 = corrupt sparse data.
int add(SmallString& hll, std::string_view element, size_t sparse_max_bytes);
// Raises register `index` to `count` if it is lower (the step both PFADD and PFMERGE use).
int set_register(SmallString& hll, int index, uint8_t count, size_t sparse_max_bytes);
// Sparse -> dense; false (nothing changed) when the sparse opcodes do not cover 16384 registers.
bool to_dense(SmallString& hll);

// The cached cardinality, or nullopt when it was invalidated.
std::optional<uint64_t> cached(std::string_view bytes);
void store_cache(SmallString& hll, uint64_t cardinality);
void invalidate_cache(SmallString& hll);

// The estimate from the registers; nullopt when the sparse data is corrupt.
std::optional<uint64_t> count(std::string_view bytes);
// max[i] = max(max[i], register i) for all 16384 registers (one byte each); false when corrupt.
bool merge_into(std::string_view bytes, uint8_t* max);
// The estimate for registers held one per byte (the union PFCOUNT k1 k2 ... builds).
uint64_t count_registers(const uint8_t* registers);

// A dense register (for tests and the DEBUG-style views).
uint8_t dense_register(std::string_view bytes, int index);

}  // namespace miniredis::hll
