// miniredis/model/murmurhash.cpp
//
// CONCEPT: the exact hash Redis' HyperLogLog uses, so sketches move between the two servers.
//
// MurmurHash64A (see murmurhash.hpp for why this exact function).
//
// READ NEXT: murmurhash.hpp, hyperloglog.cpp (its user).
#include "model/murmurhash.hpp"

#include <cstring>

namespace miniredis {

// Eight bytes per step, mixed with a multiply and shifts, then a final avalanche over the tail.
// The exact function matters more than its speed: HyperLogLog registers must land where Redis puts
// them, or a sketch copied from redis-server (GET/SET, RDB) would count wrongly here.
uint64_t murmurhash64a(std::string_view bytes, uint64_t seed) {
    constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
    constexpr int r = 47;
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    size_t len = bytes.size();
    // Redis passes the length as an int and the seed as an unsigned int: len * m wraps in 64 bits.
    uint64_t h = (seed & 0xffffffffULL) ^ (static_cast<uint64_t>(len) * m);
    const uint8_t* end = data + (len - (len & 7));
    for (; data != end; data += 8) {
        uint64_t k;
        std::memcpy(&k, data, 8);  // little-endian on every machine we build for, as on Redis'
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    switch (len & 7) {
        case 7:
            h ^= static_cast<uint64_t>(data[6]) << 48;
            [[fallthrough]];
        case 6:
            h ^= static_cast<uint64_t>(data[5]) << 40;
            [[fallthrough]];
        case 5:
            h ^= static_cast<uint64_t>(data[4]) << 32;
            [[fallthrough]];
        case 4:
            h ^= static_cast<uint64_t>(data[3]) << 24;
            [[fallthrough]];
        case 3:
            h ^= static_cast<uint64_t>(data[2]) << 16;
            [[fallthrough]];
        case 2:
            h ^= static_cast<uint64_t>(data[1]) << 8;
            [[fallthrough]];
        case 1:
            h ^= static_cast<uint64_t>(data[0]);
            h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

}  // namespace miniredis
