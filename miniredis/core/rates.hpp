// miniredis/core/rates.hpp
//
// Rates: "how many per second, right now" from counters that only go up (INFO
// instantaneous_ops_per_sec, instantaneous_input_kbps...).
//
// CONCEPT: a total (commands processed since start) answers "how much", not "how busy". The
// rate is the slope of the total: the tick samples it every tick (Redis: every 100 ms) into a
// ring of the last 16 samples, and the rate is the average slope over them - about 1.6 s of
// history, smooth enough to read, recent enough to react:
//
//   total  ^            ____/           per_second = (newest - oldest) / (t_newest - t_oldest)
//          |       ____/                              over the ring's 16 samples
//          |  ____/
//          +----------------> time
//
// Nothing touches the hot path: the counters exist anyway, the tick reads them.
//
// READ NEXT: commands/info.cpp (INFO stats), core/tick.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace miniredis {

class RateMeter {
public:
    static constexpr size_t kSamples = 16;  // Redis' STATS_METRIC_SAMPLES

    void sample(int64_t now_ms, uint64_t total) {
        samples_[next_] = {now_ms, total};
        next_ = (next_ + 1) % kSamples;
        if (count_ < kSamples) ++count_;
    }
    double per_second() const {
        if (count_ < 2) return 0;
        const Sample& newest = samples_[(next_ + kSamples - 1) % kSamples];
        const Sample& oldest = samples_[count_ < kSamples ? 0 : next_];
        if (newest.ms <= oldest.ms) return 0;
        return static_cast<double>(newest.total - oldest.total) * 1000.0 / static_cast<double>(newest.ms - oldest.ms);
    }

private:
    struct Sample {
        int64_t ms = 0;
        uint64_t total = 0;
    };
    std::array<Sample, kSamples> samples_{};
    size_t next_ = 0, count_ = 0;
};

}  // namespace miniredis
