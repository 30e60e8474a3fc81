// Metrics: the numbers a broker exposes about itself on the admin endpoint's /metrics, in the
// Prometheus text format (`# HELP`, `# TYPE`, `name value`). Counters only go up (requests
// served, bytes written); gauges are read when scraped from a function (queue depth, keys in a
// database), so the hot path never pays for them; histograms count observations into buckets
// (latency). All of it is touched only from the broker's one thread: no atomics needed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace mb {

struct Counter {
    uint64_t value = 0;
    void inc(uint64_t n = 1) { value += n; }
};

struct Histogram {
    std::vector<double> upper_bounds;  // ascending; an implicit +Inf bucket follows
    std::vector<uint64_t> counts;      // per bucket, not cumulative (rendered cumulative)
    double sum = 0;
    uint64_t count = 0;
    void observe(double value);
};

class Metrics {
public:
    // `name` is a Prometheus metric name (e.g. "miniredis_commands_total"); references stay
    // valid for the registry's lifetime, so a handler may keep a Counter& and bump it directly.
    Counter& counter(std::string name, std::string help);
    void gauge(std::string name, std::string help, std::function<double()> read);
    Histogram& histogram(std::string name, std::string help, std::vector<double> upper_bounds);

    std::string render_prometheus() const;

private:
    struct Entry {
        std::string name;
        std::string help;
        enum class Kind { counter, gauge, histogram } kind;
        Counter counter;
        std::function<double()> read;
        Histogram histogram;
    };
    std::deque<Entry> entries_;  // deque: growth never moves earlier entries
};

}  // namespace mb
