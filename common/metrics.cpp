// Metrics registry and its Prometheus text rendering.
#include "metrics.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mb {

void Histogram::observe(double value) {
    size_t bucket = std::lower_bound(upper_bounds.begin(), upper_bounds.end(), value) - upper_bounds.begin();
    ++counts[bucket];
    sum += value;
    ++count;
}

Counter& Metrics::counter(std::string name, std::string help) {
    Entry& e = entries_.emplace_back(Entry{std::move(name), std::move(help), Entry::Kind::counter, {}, {}, {}});
    return e.counter;
}

void Metrics::gauge(std::string name, std::string help, std::function<double()> read) {
    entries_.emplace_back(Entry{std::move(name), std::move(help), Entry::Kind::gauge, {}, std::move(read), {}});
}

Histogram& Metrics::histogram(std::string name, std::string help, std::vector<double> upper_bounds) {
    std::sort(upper_bounds.begin(), upper_bounds.end());
    Entry& e = entries_.emplace_back(Entry{std::move(name), std::move(help), Entry::Kind::histogram, {}, {}, {}});
    e.histogram.counts.assign(upper_bounds.size() + 1, 0);
    e.histogram.upper_bounds = std::move(upper_bounds);
    return e.histogram;
}

std::string Metrics::render_prometheus() const {
    std::string out;
    auto it = std::back_inserter(out);
    for (const Entry& e : entries_) {
        fmt::format_to(it, "# HELP {} {}\n", e.name, e.help);
        switch (e.kind) {
            case Entry::Kind::counter:
                fmt::format_to(it, "# TYPE {} counter\n{} {}\n", e.name, e.name, e.counter.value);
                break;
            case Entry::Kind::gauge:
                fmt::format_to(it, "# TYPE {} gauge\n{} {}\n", e.name, e.name, e.read());
                break;
            case Entry::Kind::histogram: {
                fmt::format_to(it, "# TYPE {} histogram\n", e.name);
                uint64_t cumulative = 0;
                for (size_t i = 0; i < e.histogram.counts.size(); ++i) {
                    cumulative += e.histogram.counts[i];
                    if (i < e.histogram.upper_bounds.size())
                        fmt::format_to(it, "{}_bucket{{le=\"{}\"}} {}\n", e.name, e.histogram.upper_bounds[i],
                                       cumulative);
                    else
                        fmt::format_to(it, "{}_bucket{{le=\"+Inf\"}} {}\n", e.name, cumulative);
                }
                fmt::format_to(it, "{}_sum {}\n{}_count {}\n", e.name, e.histogram.sum, e.name, e.histogram.count);
                break;
            }
        }
    }
    return out;
}

}  // namespace mb
