// /metrics for minikafka: see server_metrics.cpp.
#pragma once

#include <array>
#include <cstdint>

#include "metrics.hpp"

namespace minikafka {

class Broker;

// What the connection code counts as requests go by (the hot path: a few additions, no lookups).
struct SessionMetrics {
    mb::Counter& connections;
    mb::Counter& requests;
    mb::Counter& bytes_in;
    mb::Counter& bytes_out;
    // Requests per API key (Produce = 0, Fetch = 1, ...): keys are small numbers, so an array
    // indexed by the key is the whole "map". Keys past its end are counted only in `requests`.
    std::array<uint64_t, 128> by_api_key{};
    // Read buffers and spare reply buffers the sessions hold (their capacity): what connections
    // cost besides the kernel's socket buffers. Idle connections hold none (server.cpp).
    int64_t buffer_bytes = 0;
    // Connections whose session hibernates (server.cpp): no coroutine, no buffer, one socket wait.
    int64_t hibernating_connections = 0;
    void request(int16_t api_key) {
        requests.inc();
        if (api_key >= 0 && static_cast<size_t>(api_key) < by_api_key.size()) ++by_api_key[api_key];
    }
};

SessionMetrics make_session_metrics(mb::Metrics& metrics);
// The families read when scraped: per partition offsets, per group lag, per API requests,
// process_*. `session` must outlive `metrics`' use (both live in run_server).
void register_metrics(mb::Metrics& metrics, Broker& broker, const SessionMetrics& session);

}  // namespace minikafka
