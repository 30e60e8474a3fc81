// common/metrics.hpp
//
// Metrics: the numbers a broker exposes about itself on the admin endpoint's /metrics, in the
// Prometheus text format (`# HELP`, `# TYPE`, `name value`). Counters only go up (requests
// served, bytes written); gauges are read when scraped from a function (queue depth, keys in a
// database), so the hot path never pays for them; histograms count observations into buckets
// (latency). All of it is touched only from the broker's one thread: no atomics needed.
//
// CONCEPT: measure without slowing down. A counter is a plain integer increment on the broker
// thread; gauges are functions read only when someone scrapes; nothing is aggregated until /metrics
// asks. The Prometheus text format was chosen because it is text (curl shows it), and every
// monitoring stack reads it.
//
//   # HELP miniredis_commands_total Commands processed
//   # TYPE miniredis_commands_total counter
//   miniredis_commands_total 1234
// READ NEXT: metrics.cpp, admin_http.hpp.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
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

// One series of a labelled family: `labels` already rendered, e.g. `cmd="get"` (see label()).
struct Sample {
    std::string labels;
    double value = 0;
};

class Metrics {
public:
    // `name` is a Prometheus metric name (e.g. "miniredis_commands_total"); references stay
    // valid for the registry's lifetime, so a handler may keep a Counter& and bump it directly.
    Counter& counter(std::string name, std::string help);
    void gauge(std::string name, std::string help, std::function<double()> read);
    // A counter whose total lives elsewhere (a stats struct the broker keeps anyway): read when
    // scraped, typed `counter` so rate() works on it.
    void counter(std::string name, std::string help, std::function<double()> read);
    Histogram& histogram(std::string name, std::string help, std::vector<double> upper_bounds);
    // A family of series told apart by labels (per command, per queue, per topic...), all read
    // when scraped: `read` returns one Sample per series. `counter` picks the TYPE line.
    void family(std::string name, std::string help, bool counter, std::function<std::vector<Sample>()> read);
    // The process_* metrics every Prometheus client library exports (CPU seconds, resident and
    // virtual memory, open and max descriptors, start time), read from /proc when scraped.
    void process_metrics();

    // `name="value"` with the value escaped as the text format wants (backslash, quote, newline).
    static std::string label(std::string_view name, std::string_view value);

    std::string render_prometheus() const;

private:
    struct Entry {
        std::string name;
        std::string help;
        enum class Kind { counter, gauge, histogram, counter_fn, counter_family, gauge_family } kind;
        Counter counter;
        std::function<double()> read;
        Histogram histogram;
        std::function<std::vector<Sample>()> read_family = {};
    };
    std::deque<Entry> entries_;  // deque: growth never moves earlier entries
};

}  // namespace mb
