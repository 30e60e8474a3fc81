// miniredis/model/murmurhash.hpp
//
// MurmurHash64A: the 64-bit hash HyperLogLog feeds every element through.
//
// CONCEPT: a HyperLogLog does not look at the elements, only at the bits of their hashes - so the
// hash *is* part of the data format. Two servers agree on PFCOUNT, and an HLL written by one can be
// merged by the other, only if both hash "alice" to the same 64 bits. Redis uses Austin Appleby's
// MurmurHash64A with the seed 0xadc83b19, reading the input 8 bytes at a time as little-endian
// words; we do exactly the same, which is what makes our `HYLL` strings interchangeable with
// redis-server's (tests/miniredis/hyperloglog_test.py checks it both ways).
//
//   for each 8-byte word k:   k *= m; k ^= k >> 47; k *= m;  h ^= k; h *= m;
//   the 1..7 tail bytes:      folded into h, then h *= m
//   finally:                  h ^= h >> 47; h *= m; h ^= h >> 47
//
// The keyspace's own hash (hashing.hpp) is different on purpose: it is seeded per process so
// nobody can precompute colliding keys, while this one must be the same everywhere, forever.
//
// READ NEXT: hyperloglog.hpp (what the 64 bits are used for).
#pragma once

#include <cstdint>
#include <string_view>

namespace miniredis {

inline constexpr uint64_t kHllHashSeed = 0xadc83b19ULL;  // Redis' seed (hyperloglog.c, hllPatLen)

uint64_t murmurhash64a(std::string_view bytes, uint64_t seed);

}  // namespace miniredis
