// Metrics: the Prometheus text format, as a scraper reads it.
#include "metrics.hpp"

#include <gtest/gtest.h>

TEST(Metrics, CountersGaugesAndHistogramsRenderAsPrometheusText) {
    mb::Metrics m;
    mb::Counter& served = m.counter("demo_requests_total", "Requests served.");
    double depth = 3;
    m.gauge("demo_queue_depth", "Messages waiting.", [&] { return depth; });
    mb::Histogram& latency = m.histogram("demo_latency_seconds", "Request latency.", {0.001, 0.01});
    served.inc();
    served.inc(2);
    depth = 7;
    latency.observe(0.0005);
    latency.observe(0.005);
    latency.observe(1.0);
    std::string text = m.render_prometheus();
    EXPECT_NE(text.find("# HELP demo_requests_total Requests served.\n# TYPE demo_requests_total counter\n"
                        "demo_requests_total 3\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("# TYPE demo_queue_depth gauge\ndemo_queue_depth 7\n"), std::string::npos) << text;
    EXPECT_NE(text.find("demo_latency_seconds_bucket{le=\"0.001\"} 1\n"
                        "demo_latency_seconds_bucket{le=\"0.01\"} 2\n"
                        "demo_latency_seconds_bucket{le=\"+Inf\"} 3\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("demo_latency_seconds_count 3\n"), std::string::npos);
}

TEST(Metrics, ReferencesStayValidAsTheRegistryGrows) {
    mb::Metrics m;
    mb::Counter& first = m.counter("first_total", "first");
    for (int i = 0; i < 1000; ++i) m.counter("more_" + std::to_string(i) + "_total", "more");
    first.inc();
    EXPECT_NE(m.render_prometheus().find("first_total 1\n"), std::string::npos);
}
