// miniredis/model/hashing.hpp
//
// CONCEPT: the hash function behind every hash table - fast, seeded per process against flooding.
//
// Hashing and randomness for the keyspace's hash tables.
//
// hash_bytes: a seeded 64-bit hash, 8 bytes per step (multiply + xor-shift, then a final avalanche
// so that the low bits - the ones a power-of-two table uses as bucket index - depend on every input
// bit). The seed is random per process, so an attacker cannot precompute keys that all land in one
// bucket across restarts.
// REAL REDIS: SipHash-1-2 with a random key: slower, but designed against hash flooding. Ours is a
// fast non-cryptographic mix; see docs/miniredis/README.md, "left out".
//
// Random: splitmix64, small and fast; used for RANDOMKEY, SPOP, and sampling keys in the expiry and
// eviction cycles, where we need "a random key" thousands of times per second.
//
// READ NEXT: hashing.cpp, dict.hpp.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace miniredis {

inline uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

inline uint64_t hash_bytes(std::string_view bytes, uint64_t seed) {
    constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
    const char* p = bytes.data();
    size_t n = bytes.size();
    uint64_t h = seed ^ (n * kMul);
    while (n >= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        h = (h ^ mix64(word)) * kMul;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t word = 0;
        std::memcpy(&word, p, n);
        h = (h ^ mix64(word ^ n)) * kMul;
    }
    return mix64(h);
}

class Random {
public:
    explicit Random(uint64_t seed = 0x2545F4914F6CDD1DULL) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }                // [0, n)
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)

private:
    uint64_t state_;
};

// The process-wide hash seed, chosen once at start-up (see hashing.cpp).
extern const uint64_t kHashSeed;

}  // namespace miniredis
