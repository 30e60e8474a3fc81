// minirabbit/model/rate_history.hpp
//
// CONCEPT: rates from samples. A broker keeps counters (messages published, delivered, acked);
// a *rate* is the difference of a counter between two moments divided by the time between them.
// So to draw "publishes per second over the last minute", somebody must remember what the
// counters were at a series of moments. RabbitMQ's management plugin does it (its statistics
// database, exometer slides), the management UI draws the charts from it, and this file is
// minirabbit's much smaller version of the same idea:
//
//   every 5 s (the broker's tick, collect_statistics_interval)
//        │  SampleClock::take(t)          one timestamp for everybody, in a ring
//        ▼
//   ┌────────┬────────┬────────┬────────┐
//   │ t=..00 │ t=..05 │ t=..10 │ t=..15 │ ...   SampleClock: sample k at slot k % capacity
//   └────────┴────────┴────────┴────────┘
//   queue "tasks":  [publish, deliver, ..., ready, unacked] at each k   RateHistory: same slots
//   exchange "x":   [publish_in, publish_out] at each k
//
//   rate   = (value[k] - value[k-1]) / (t[k] - t[k-1])         what the queue list shows
//   chart  = the values at t, t - incr, t - 2 incr, ...        what the UI plots (newest first)
//
// Costs, chosen for a broker that may hold 100,000 queues: publishing, delivering and acking pay
// nothing (they bump counters the queue keeps anyway); the tick copies a few integers per object
// once per interval; memory is bounded - a fixed ring per object, allocated only when the object
// first shows a non-zero value (a mass of idle queues costs 40 bytes each), and the timestamps are
// shared. Objects keep one minute (13 samples at 5 s), the overview ten minutes (121): RabbitMQ calls
// these retention policies "basic" and "global", and the overview advertises exactly these.
//
// READ NEXT: broker.cpp sample_statistics() (who fills the rings), admin_rates.cpp (how the
// management API turns them into RabbitMQ's "_details" objects).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace minirabbit {

// The moments at which samples were taken: one ring of timestamps (wall clock, milliseconds since
// the epoch, as the UI's time axis wants) shared by every object's RateHistory.
class SampleClock {
public:
    // How long histories reach back: RabbitMQ's "basic" retention for objects, "global" for the
    // overview. In samples: the span over the interval, plus one for the far end.
    static constexpr int64_t kObjectRetentionMs = 60'000, kGlobalRetentionMs = 600'000;

    explicit SampleClock(int64_t interval_ms = 5000) { set_interval_ms(interval_ms); }
    int64_t interval_ms() const { return interval_ms_; }
    // At start only (collect_statistics_interval): the rings' sizes follow from it.
    void set_interval_ms(int64_t ms);
    size_t capacity(bool global) const {
        return static_cast<size_t>((global ? kGlobalRetentionMs : kObjectRetentionMs) / interval_ms_) + 1;
    }

    // Is a sample due at wall time `now_ms`? Samples fall on multiples of the interval (…:00, :05,
    // :10), as RabbitMQ's do, so two brokers' charts line up and timestamps read well.
    bool due(int64_t now_ms) const { return now_ms >= next_due_; }
    // Takes sample number taken(); returns its number. The timestamp is rounded down to the interval.
    uint64_t take(int64_t now_ms);

    uint64_t taken() const { return taken_; }  // samples so far; the newest is taken() - 1
    int64_t time_of(uint64_t k) const { return times_[k % times_.size()]; }
    // The oldest sample a ring of `capacity` slots still holds.
    uint64_t oldest(size_t capacity) const { return taken_ > capacity ? taken_ - capacity : 0; }

private:
    int64_t interval_ms_ = 5000;
    int64_t next_due_ = 0;
    uint64_t taken_ = 0;
    std::vector<int64_t> times_;  // capacity(true) slots
};

// One object's history: `fields` counters or gauges at each of the last capacity(global) samples.
class RateHistory {
public:
    RateHistory(size_t fields, bool global) : fields_(fields), global_(global) {}

    size_t fields() const { return fields_; }
    size_t capacity(const SampleClock& clock) const { return clock.capacity(global_); }
    // The object was created just now: its history starts at the next sample (clock.taken()).
    void set_born(uint64_t k) { born_ = k; }

    // Sample `k` of this object. The ring is allocated at the first sample with a non-zero value:
    // until then every sample was all zeros, which at() answers without storing them.
    void record(const SampleClock& clock, uint64_t k, std::span<const uint64_t> values);

    bool has_ring() const { return ring_ != nullptr; }  // false while every sample was all zeros

    // Field `field` at sample `k`: none if the object did not exist yet or the ring forgot it.
    std::optional<uint64_t> at(const SampleClock& clock, uint64_t k, size_t field) const;

private:
    size_t fields_;
    bool global_;
    uint64_t born_ = 0;                 // the first sample taken after the object was created
    uint64_t stored_ = 0;               // the first sample stored in ring_ (the ones before were all zeros)
    std::unique_ptr<uint64_t[]> ring_;  // capacity rows of fields_ values
};

// A chart's question, from the UI's query parameters: the last `age_ms`, a point every `incr_ms`.
struct SampleRange {
    int64_t age_ms = 0, incr_ms = 0;
};

// What a "_details" object says about one series (admin_rates.cpp renders it as JSON).
struct SeriesDetails {
    double rate = 0;  // per second, between the two newest points
    struct Point {
        uint64_t sample;
        int64_t timestamp;
    };
    std::vector<Point> samples;           // newest first; only when a range was asked for
    std::optional<double> avg_rate, avg;  // over the range, when it has two points or more
};

// The sum of `fields` of `history` (one field, or e.g. ready + unacked = "messages") as the
// management API reports it: without a range only the rate (from the two newest samples), with one
// the points t0, t0 - incr, ... back to t0 - age, each holding the newest sample at or before it.
SeriesDetails series_details(const SampleClock& clock, const RateHistory& history, std::initializer_list<size_t> fields,
                             const std::optional<SampleRange>& range);

}  // namespace minirabbit
