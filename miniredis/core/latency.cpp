// miniredis/core/latency.cpp
//
// Latency samples per event class (see latency.hpp). CONCEPT: in the header; here the mechanics.
//
// READ NEXT: latency.hpp, docs/miniredis/06-looking-inside.md (LATENCY).
#include "core/latency.hpp"

#include <algorithm>

namespace miniredis {

std::vector<LatencyMonitor::Sample> LatencyMonitor::Series::history() const {
    if (samples.size() < kSamples) return samples;
    std::vector<Sample> out(samples.begin() + static_cast<std::ptrdiff_t>(next), samples.end());
    out.insert(out.end(), samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(next));
    return out;
}

void LatencyMonitor::add(std::string_view event, int64_t latency_ms, int64_t unix_time) {
    auto it = std::find_if(series_.begin(), series_.end(), [&](const Series& s) { return s.event == event; });
    if (it == series_.end()) it = series_.insert(series_.end(), Series{std::string(event), {}, 0, 0});
    Series& s = *it;
    s.max_ms = std::max(s.max_ms, latency_ms);
    // One sample per second: a second spike in the same second only raises that second's value.
    if (!s.samples.empty() && s.latest().unix_time == unix_time) {
        Sample& last = s.samples[(s.next + s.samples.size() - 1) % s.samples.size()];
        last.latency_ms = std::max(last.latency_ms, latency_ms);
        return;
    }
    if (s.samples.size() < kSamples) {
        s.samples.push_back({unix_time, latency_ms});
        s.next = 0;
    } else {
        s.samples[s.next] = {unix_time, latency_ms};
        s.next = (s.next + 1) % kSamples;
    }
}

const LatencyMonitor::Series* LatencyMonitor::find(std::string_view event) const {
    for (const Series& s : series_)
        if (s.event == event) return &s;
    return nullptr;
}

size_t LatencyMonitor::reset(std::string_view event) {
    auto it = std::find_if(series_.begin(), series_.end(), [&](const Series& s) { return s.event == event; });
    if (it == series_.end()) return 0;
    series_.erase(it);
    return 1;
}

size_t LatencyMonitor::reset_all() {
    size_t n = series_.size();
    series_.clear();
    return n;
}

}  // namespace miniredis
