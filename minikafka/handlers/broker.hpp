// minikafka/handlers/broker.hpp
//
// CONCEPT: the broker - what every request handler acts on. It holds the topics and their
// logs, (later) the consumer groups and their committed offsets, and the few services the
// handlers need from the outside world: the time, a way to run something later, and the
// background worker for fsync/deletion. The wiring (server.cpp) binds those services to Asio;
// unit tests bind them to a fake clock, so no handler ever touches a socket or a timer.
// Everything here is used from the one broker thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "storage/background_worker.hpp"
#include "storage/log_manager.hpp"

namespace minikafka {

struct BrokerConfig {
    int32_t node_id = 0;  // broker.id
    std::string advertised_host = "127.0.0.1";
    int32_t port = 9092;                           // the port clients reach us on (after --port 0)
    std::string cluster_id;                        // from meta.properties
    bool auto_create_topics = true;                // auto.create.topics.enable
    int32_t num_partitions = 1;                    // num.partitions: for auto-created topics
    uint32_t max_request_bytes = 104857600;        // socket.request.max.bytes
    int64_t retention_check_interval_ms = 300000;  // log.retention.check.interval.ms
};

// The outside world, as the handlers see it.
struct BrokerServices {
    std::function<int64_t()> now_ms;  // wall-clock milliseconds (record timestamps, retention)
    // Runs `callback` on the broker thread after `delay_ms`.
    std::function<void(int64_t delay_ms, std::function<void()> callback)> run_later;
    BackgroundWorker* background = nullptr;
};

class Broker {
public:
    Broker(BrokerConfig config, LogConfig log_defaults, std::string data_dir, BrokerServices services)
        : config(std::move(config)), logs(std::move(data_dir), log_defaults), services(std::move(services)) {}

    int64_t now_ms() const { return services.now_ms(); }

    BrokerConfig config;
    LogManager logs;
    BrokerServices services;
};

}  // namespace minikafka
