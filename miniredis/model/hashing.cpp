// miniredis/model/hashing.cpp
//
// The per-process hash seed: random at start-up, so bucket placement differs between runs.
//
// CONCEPT: see hashing.hpp. A fixed seed would let an attacker who knows it send keys that all
// collide, turning every lookup into a walk of one long chain (hash flooding); a random seed per
// process takes that away - and makes SCAN's order differ between runs, as it does in Redis.
// READ NEXT: dict.hpp.
#include "hashing.hpp"

#include <random>

namespace miniredis {

const uint64_t kHashSeed = [] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
}();

}  // namespace miniredis
