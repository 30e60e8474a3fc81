// minirabbit/model/rate_history.cpp
//
// The sample rings and the arithmetic that turns them into rates (see rate_history.hpp).
//
// CONCEPT: see rate_history.hpp. Here: where a sample lands (slot k % capacity), and how a chart's
// grid of points is read back from samples taken at other moments - each point takes the newest
// sample at or before it, the way RabbitMQ's statistics database answers a range it sampled at a
// different step.
// READ NEXT: broker.cpp sample_statistics(), admin_rates.cpp.
#include "rate_history.hpp"

#include <algorithm>

namespace minirabbit {

void SampleClock::set_interval_ms(int64_t ms) {
    if (ms <= 0 || taken_ > 0) return;  // the rings are laid out for one interval
    interval_ms_ = ms;
    times_.assign(capacity(true), 0);
}

uint64_t SampleClock::take(int64_t now_ms) {
    int64_t stamp = now_ms - now_ms % interval_ms_;
    // A clock stepped backwards must not make time run backwards in the ring (rates would flip).
    if (taken_ > 0) stamp = std::max(stamp, time_of(taken_ - 1) + 1);
    times_[taken_ % times_.size()] = stamp;
    next_due_ = stamp - stamp % interval_ms_ + interval_ms_;
    return taken_++;
}

void RateHistory::record(const SampleClock& clock, uint64_t k, std::span<const uint64_t> values) {
    const size_t capacity = clock.capacity(global_);
    if (!ring_) {
        if (std::all_of(values.begin(), values.end(), [](uint64_t v) { return v == 0; })) return;
        // The one allocation in an object's life here: later samples overwrite slots in place.
        ring_ = std::make_unique<uint64_t[]>(capacity * fields_);
        stored_ = k;
    }
    std::copy_n(values.begin(), std::min(values.size(), fields_), &ring_[(k % capacity) * fields_]);
}

std::optional<uint64_t> RateHistory::at(const SampleClock& clock, uint64_t k, size_t field) const {
    const size_t capacity = clock.capacity(global_);
    if (k < born_ || k >= clock.taken() || k < clock.oldest(capacity) || field >= fields_) return std::nullopt;
    if (!ring_ || k < stored_) return 0;
    return ring_[(k % capacity) * fields_ + field];
}

namespace {

double per_second(uint64_t newer, uint64_t older, int64_t newer_ms, int64_t older_ms) {
    if (newer_ms <= older_ms) return 0;
    // Signed: a queue's length (a gauge) also shrinks.
    return (static_cast<double>(newer) - static_cast<double>(older)) * 1000.0 /
           static_cast<double>(newer_ms - older_ms);
}

}  // namespace

SeriesDetails series_details(const SampleClock& clock, const RateHistory& history, std::initializer_list<size_t> fields,
                             const std::optional<SampleRange>& range) {
    auto value_at = [&](uint64_t k) -> std::optional<uint64_t> {
        uint64_t sum = 0;
        for (size_t field : fields) {
            auto v = history.at(clock, k, field);
            if (!v) return std::nullopt;
            sum += *v;
        }
        return sum;
    };
    SeriesDetails out;
    if (clock.taken() == 0) return out;
    const uint64_t newest = clock.taken() - 1;
    if (!range) {
        // No range: the rate between the two newest samples, RabbitMQ's "instant" rate.
        auto now = value_at(newest);
        auto before = newest > 0 ? value_at(newest - 1) : std::nullopt;
        if (now && before) out.rate = per_second(*now, *before, clock.time_of(newest), clock.time_of(newest - 1));
        return out;
    }
    // The grid: t0 (the newest sample's time), t0 - incr, ... down to t0 - age. Each point takes
    // the newest sample at or before it; the walk ends where the history does. The ring bounds the
    // answer: at most (ring span / incr) + 1 points, whatever age was asked for.
    const int64_t t0 = clock.time_of(newest);
    const uint64_t first = clock.oldest(history.capacity(clock));  // older slots hold newer times now
    uint64_t k = newest;
    for (int64_t t = t0; t >= t0 - range->age_ms; t -= range->incr_ms) {
        while (k > first && clock.time_of(k) > t) --k;
        if (clock.time_of(k) > t) break;
        auto value = value_at(k);
        if (!value) break;
        out.samples.push_back({*value, t});
    }
    const auto& s = out.samples;
    if (s.size() >= 2) {
        out.rate = per_second(s[0].sample, s[1].sample, s[0].timestamp, s[1].timestamp);
        out.avg_rate = per_second(s.front().sample, s.back().sample, s.front().timestamp, s.back().timestamp);
        double sum = 0;
        for (const auto& p : s) sum += static_cast<double>(p.sample);
        out.avg = sum / static_cast<double>(s.size());
    }
    return out;
}

}  // namespace minirabbit
