// common/metrics.cpp
//
// Metrics registry and its Prometheus text rendering.
//
// CONCEPT: see metrics.hpp - here the rendering: one # HELP and # TYPE line per family, then the
// samples; histograms as cumulative _bucket{le="..."} lines plus _sum and _count, as Prometheus
// expects, so a quantile can be computed by the monitoring system rather than by the broker.
// READ NEXT: metrics.hpp.
#include "metrics.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace mb {

// One observation: a binary search for its bucket and two additions - cheap enough to run for every
// request on the broker thread. Buckets are fixed at registration, as Prometheus requires.
void Histogram::observe(double value) {
    size_t bucket = std::lower_bound(upper_bounds.begin(), upper_bounds.end(), value) - upper_bounds.begin();
    ++counts[bucket];
    sum += value;
    ++count;
}

// Registration happens once, at start-up; entries_ is a deque so the references handed out here
// stay valid as more metrics are registered.
Counter& Metrics::counter(std::string name, std::string help) {
    Entry& e = entries_.emplace_back(Entry{std::move(name), std::move(help), Entry::Kind::counter, {}, {}, {}});
    return e.counter;
}

// A gauge is a function, called only at scrape time: "keys in db0" or "messages ready" are read from
// the model when someone asks, so the hot path never updates them.
void Metrics::gauge(std::string name, std::string help, std::function<double()> read) {
    entries_.emplace_back(Entry{std::move(name), std::move(help), Entry::Kind::gauge, {}, std::move(read), {}});
}

void Metrics::counter(std::string name, std::string help, std::function<double()> read) {
    entries_.emplace_back(Entry{std::move(name), std::move(help), Entry::Kind::counter_fn, {}, std::move(read), {}});
}

// A family: one metric name, many label sets (per queue, per topic) - the list is produced at scrape
// time, so queues created later show up without registering anything.
void Metrics::family(std::string name, std::string help, bool counter, std::function<std::vector<Sample>()> read) {
    entries_.emplace_back(Entry{std::move(name),
                                std::move(help),
                                counter ? Entry::Kind::counter_family : Entry::Kind::gauge_family,
                                {},
                                {},
                                {},
                                std::move(read)});
}

// Label values come from users (queue names, topic names): escaped as the text format requires,
// so a quote or newline in a name cannot break the whole /metrics page.
std::string Metrics::label(std::string_view name, std::string_view value) {
    std::string out(name);
    out += "=\"";
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    out += '"';
    return out;
}

namespace {

// /proc/self/stat fields (man 5 proc): utime and stime in clock ticks (14, 15), starttime in ticks
// since boot (22), vsize in bytes (23), rss in pages (24).
struct ProcStat {
    double cpu_seconds = 0, start_time = 0, virtual_bytes = 0, resident_bytes = 0;
};

// process_* metrics (CPU seconds, start time, memory) as Prometheus' client libraries export them,
// read from /proc: dashboards built for any Prometheus-instrumented process work here unchanged.
ProcStat read_proc_stat() {
    ProcStat result;
    std::ifstream file("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    size_t paren = text.rfind(')');  // the command name may contain spaces: skip past it
    if (paren == std::string::npos) return result;
    std::istringstream in(text.substr(paren + 2));
    std::vector<std::string> fields{std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
    if (fields.size() < 22) return result;
    // fields[0] is field 3 (state): field n is fields[n - 3].
    auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    double boot_time = 0;
    std::ifstream stat("/proc/stat");
    for (std::string line; std::getline(stat, line);)
        if (line.starts_with("btime ")) boot_time = std::stod(line.substr(6));
    result.cpu_seconds = (std::stod(fields[14 - 3]) + std::stod(fields[15 - 3])) / ticks;
    result.start_time = boot_time + std::stod(fields[22 - 3]) / ticks;
    result.virtual_bytes = std::stod(fields[23 - 3]);
    result.resident_bytes = std::stod(fields[24 - 3]) * static_cast<double>(sysconf(_SC_PAGESIZE));
    return result;
}

// Counting /proc/self/fd at scrape time: a broker serving many connections and segment files can
// run out of descriptors, and process_open_fds next to process_max_fds is how a dashboard sees
// that coming.
double open_fds() {
    std::error_code ec;
    double n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

}  // namespace

void Metrics::process_metrics() {
    counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
            [] { return read_proc_stat().cpu_seconds; });
    gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
          [] { return read_proc_stat().resident_bytes; });
    gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
          [] { return read_proc_stat().virtual_bytes; });
    gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
          [] { return read_proc_stat().start_time; });
    gauge("process_open_fds", "Number of open file descriptors.", [] { return open_fds(); });
    gauge("process_max_fds", "Maximum number of open file descriptors.", [] {
        rlimit limit{};
        return getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<double>(limit.rlim_cur) : 0.0;
    });
}

Histogram& Metrics::histogram(std::string name, std::string help, std::vector<double> upper_bounds) {
    std::sort(upper_bounds.begin(), upper_bounds.end());
    Entry& e = entries_.emplace_back(Entry{std::move(name), std::move(help), Entry::Kind::histogram, {}, {}, {}});
    e.histogram.counts.assign(upper_bounds.size() + 1, 0);
    e.histogram.upper_bounds = std::move(upper_bounds);
    return e.histogram;
}

// The text exposition format, rendered fresh on every scrape. A counter only ever goes up (the
// monitoring system computes rates from it and treats a drop as a restart); a gauge is a value
// that may go either way. Histogram buckets are cumulative - each _bucket line counts every
// observation <= its le - and the last, +Inf, always equals _count.
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
            case Entry::Kind::counter_fn:
                fmt::format_to(it, "# TYPE {} counter\n{} {}\n", e.name, e.name, e.read());
                break;
            case Entry::Kind::counter_family:
            case Entry::Kind::gauge_family:
                fmt::format_to(it, "# TYPE {} {}\n", e.name,
                               e.kind == Entry::Kind::counter_family ? "counter" : "gauge");
                for (const Sample& s : e.read_family()) fmt::format_to(it, "{}{{{}}} {}\n", e.name, s.labels, s.value);
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
