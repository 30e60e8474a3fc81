// miniredis/model/lfu.hpp
//
// LFU: how *often* a key is used, in 8 bits (maxmemory-policy allkeys-lfu / volatile-lfu).
//
// CONCEPT: LRU evicts the key idle the longest - but a key read once a minute for a year loses to
// one read once, a second ago. LFU keeps a frequency instead, in the same 24 bits of the value
// that LRU uses for its timestamp (Redis' robj.lru), split in two:
//
//      16 bits                     8 bits
//   +---------------------------+-----------+
//   | last decrement, minutes   | counter   |     counter: 0..255, logarithmic
//   +---------------------------+-----------+
//
//   - every access bumps the counter with probability 1 / ((counter - 5) * lfu-log-factor + 1):
//     with the default factor 10, ~100 hits reach 10, ~1k reach 18, ~1M reach 255 - eight bits
//     cover six orders of magnitude;
//   - every lfu-decay-time minutes without an access take one off, so old fame fades;
//   - new keys start at 5 (LFU_INIT_VAL), so they are not evicted before they had a chance.
// OBJECT FREQ shows the (decayed) counter; `redis-cli --hotkeys` sorts keys by it.
//
// READ NEXT: model/database.hpp (find() touches it), core/eviction.cpp (victims by lowest counter).
#pragma once

#include <cstdint>

namespace miniredis::lfu {

inline constexpr uint32_t kInitialCounter = 5;  // Redis' LFU_INIT_VAL

inline uint32_t minutes(int64_t unix_ms) { return static_cast<uint32_t>(unix_ms / 60'000) & 0xffff; }

// The counter after the decay for the minutes elapsed since the last decrement.
inline uint32_t decayed_counter(uint32_t packed, uint32_t now_minutes, int decay_time) {
    uint32_t last = packed >> 8, counter = packed & 0xff;
    uint32_t elapsed = now_minutes >= last ? now_minutes - last : 65535 - last + now_minutes;  // 16-bit wrap
    uint32_t periods = decay_time > 0 ? elapsed / static_cast<uint32_t>(decay_time) : 0;
    return periods > counter ? 0 : counter - periods;
}

inline uint32_t pack(uint32_t now_minutes, uint32_t counter) { return (now_minutes << 8) | counter; }

// One access: decay, then a logarithmic increment. `random01` is a uniform draw in [0, 1).
inline uint32_t touched(uint32_t packed, uint32_t now_minutes, int decay_time, int log_factor, double random01) {
    uint32_t counter = decayed_counter(packed, now_minutes, decay_time);
    if (counter < 255) {
        double base = counter > kInitialCounter ? counter - kInitialCounter : 0;
        if (random01 < 1.0 / (base * log_factor + 1)) ++counter;
    }
    return pack(now_minutes, counter);
}

}  // namespace miniredis::lfu
