// The per-process hash seed: random at start-up, so bucket placement differs between runs.
#include "hashing.hpp"

#include <random>

namespace miniredis {

const uint64_t kHashSeed = [] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
}();

}  // namespace miniredis
