// minirabbit/admin_rates.cpp
//
// CONCEPT: the "_details" objects of RabbitMQ's management API - how a broker's rate history
// (model/rate_history.hpp) reaches the management UI's charts. Every counter or queue length the
// API shows comes with a twin named "<name>_details":
//
//   GET /api/queues/%2F/tasks                      "publish_details": {"rate": 20.0}
//   GET /api/queues/%2F/tasks?msg_rates_age=60&msg_rates_incr=5
//                                                  "publish_details": {"rate": 20.0,
//                                                    "samples": [{"sample": 1300, "timestamp": T},
//                                                                {"sample": 1200, "timestamp": T - 5000}, ...],
//                                                    "avg_rate": 20.0, "avg": 1000.0}
//
// Without a range only the rate; with `lengths_age/_incr` (queue lengths) or `msg_rates_age/_incr`
// (message counters), in seconds, the samples too, newest first, as RabbitMQ 3.10 answers. The UI
// asks with the range of its "Last minute / Last ten minutes" menu and plots, for counters, the
// slope between neighbouring samples ((s[j-1] - s[j]) / (t[j-1] - t[j]), charts.js) and, for
// lengths, the samples themselves. `avg` is the mean of the samples, `avg_rate` the slope from the
// oldest to the newest - what the UI shows in its "moving average" mode.
//
// READ NEXT: model/rate_history.cpp (the grid of points), admin_objects.cpp (queues, exchanges),
// admin_overview.cpp (the totals).
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "admin_api.hpp"

namespace minirabbit {

namespace json = boost::json;

namespace {

// The value of `name` in the query string of `target`, if present.
std::optional<int64_t> query_integer(std::string_view target, std::string_view name) {
    size_t q = target.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        std::string_view pair = query.substr(0, query.find('&'));
        query.remove_prefix(std::min(query.size(), pair.size() + 1));
        if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
            std::string_view digits = pair.substr(name.size() + 1);
            int64_t value = 0;
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
            if (ec == std::errc() && end == digits.data() + digits.size()) return value;
            return std::nullopt;
        }
    }
    return std::nullopt;
}

// `<prefix>_age` and `<prefix>_incr`, seconds; both present and positive, else no range (RabbitMQ
// also answers rates only then). A day at most: nothing is kept longer anyway.
std::optional<SampleRange> range_of(std::string_view target, std::string_view prefix) {
    auto age = query_integer(target, std::string(prefix) + "_age");
    auto incr = query_integer(target, std::string(prefix) + "_incr");
    if (!age || !incr || *age <= 0 || *incr <= 0 || *age > 86400 || *incr > 86400) return std::nullopt;
    return SampleRange{*age * 1000, *incr * 1000};
}

}  // namespace

StatsQuery stats_query(std::string_view target) {
    return StatsQuery{range_of(target, "lengths"), range_of(target, "msg_rates")};
}

json::object rate_details_json(const SampleClock& clock, const RateHistory& history,
                               std::initializer_list<size_t> fields, const std::optional<SampleRange>& range) {
    SeriesDetails d = series_details(clock, history, fields, range);
    json::object out{{"rate", d.rate}};
    if (!range) return out;
    json::array samples;
    samples.reserve(d.samples.size());
    for (const auto& p : d.samples) samples.push_back(json::object{{"sample", p.sample}, {"timestamp", p.timestamp}});
    out["samples"] = std::move(samples);
    if (d.avg_rate) out["avg_rate"] = *d.avg_rate;
    if (d.avg) out["avg"] = *d.avg;
    return out;
}

void put_series(json::object& out, std::string_view name, uint64_t current, const SampleClock& clock,
                const RateHistory& history, std::initializer_list<size_t> fields,
                const std::optional<SampleRange>& range) {
    out[name] = current;
    out[std::string(name) + "_details"] = rate_details_json(clock, history, fields, range);
}

}  // namespace minirabbit
