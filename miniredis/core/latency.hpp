// miniredis/core/latency.hpp
//
// Latency monitor: spikes per event class, kept over time (LATENCY LATEST/HISTORY/RESET/DOCTOR).
//
// CONCEPT: the slowlog (slowlog.hpp) names slow *commands*; the latency monitor answers "when
// was the server slow, and doing what?" - also for work no client asked for, like the AOF's
// write and fsync. Each source is an *event class* with a name Redis uses:
//
//   command            a command that is not flagged fast (KEYS, SMEMBERS, SAVE...)
//   fast-command       an O(1)/O(log n) command (GET, SET, INCR...) - if one is slow, the
//                      machine is (swapping, a noisy neighbour, a stopped VM)
//   aof-fsync-always   the AOF write + fsync of a turn with appendfsync always
//   aof-write          the AOF write() of a turn otherwise (a slow disk shows here first)
//
// Only what reaches latency-monitor-threshold (milliseconds; 0 = off, the default) is recorded,
// so the monitor costs one comparison per command when idle. Per class it keeps the last 160
// samples (one per second: two spikes in the same second keep the larger), the all-time maximum,
// and the time of the latest spike:
//
//   "command"  [t=1701234567 12ms][t=1701234570 31ms] ... (160)   max 31ms
//
// READ NEXT: commands/diagnostics.cpp (the LATENCY command and its DOCTOR report),
// core/durability.cpp (where the AOF samples come from).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace miniredis {

class LatencyMonitor {
public:
    static constexpr size_t kSamples = 160;  // Redis' LATENCY_TS_LEN

    struct Sample {
        int64_t unix_time = 0;  // seconds
        int64_t latency_ms = 0;
    };
    struct Series {
        std::string event;
        std::vector<Sample> samples;  // a ring of kSamples, oldest overwritten first
        size_t next = 0;              // where the next sample goes once the ring is full
        int64_t max_ms = 0;
        const Sample& latest() const { return samples[(next + samples.size() - 1) % samples.size()]; }
        std::vector<Sample> history() const;  // oldest first
    };

    // Whether a latency is worth recording (threshold 0 = monitoring off).
    static bool reaches(int64_t latency_ms, int64_t threshold_ms) {
        return threshold_ms > 0 && latency_ms >= threshold_ms;
    }
    // Records `latency_ms` for `event` if it reaches the threshold.
    void add_if_needed(std::string_view event, int64_t latency_ms, int64_t threshold_ms, int64_t unix_time) {
        if (reaches(latency_ms, threshold_ms)) add(event, latency_ms, unix_time);
    }
    void add(std::string_view event, int64_t latency_ms, int64_t unix_time);
    size_t reset(std::string_view event);  // 1 if the event had samples
    size_t reset_all();                    // how many events were forgotten
    const Series* find(std::string_view event) const;
    const std::vector<Series>& series() const { return series_; }

private:
    std::vector<Series> series_;  // a handful of classes: a linear search is the fastest map
};

}  // namespace miniredis
