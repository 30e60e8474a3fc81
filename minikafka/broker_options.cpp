// minikafka/broker_options.cpp
//
// CONCEPT: configuration is a translation step. Kafka's property names (log.segment.bytes,
// group.min.session.timeout.ms, ...) are parsed once, in main.cpp's option table; here they
// become plain structs, so that nothing below the wiring ever sees a string option:
//
//   mb::Options ──► broker_config()  BrokerConfig  (node id, cluster id, auto-create, limits)
//               ──► log_defaults()   LogConfig     (segments, retention, flush, batch size)
//               ──► group_config()   GroupConfig   (session timeouts, rebalance delay)
//                        │
//                        ▼
//                 Broker(config, log_defaults, group_config, dir, services)   (run_server.cpp)
//
// Unit tests and benchmarks build these structs directly and never touch the option parser.
// READ NEXT: core/broker.hpp (what the structs configure), run_server.cpp (who calls these).
#include "broker_options.hpp"

#include <fstream>
#include <random>

#include "storage/file.hpp"

namespace minikafka {

namespace {

// Kafka keeps the cluster id in meta.properties in the log directory; so do we.
std::string load_or_create_cluster_id(const std::string& dir) {
    std::string path = dir + "/meta.properties";
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("cluster.id=")) return line.substr(11);
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::random_device random;
    std::string id;
    for (int i = 0; i < 22; ++i) id.push_back(kAlphabet[random() % 64]);
    write_file_atomically(path, "version=1\ncluster.id=" + id + "\n");
    return id;
}

}  // namespace

BrokerConfig broker_config(const mb::Options& options, const std::string& dir) {
    BrokerConfig config;
    config.node_id = static_cast<int32_t>(options.integer("broker.id"));
    config.cluster_id = load_or_create_cluster_id(dir);
    config.auto_create_topics = options.boolean("auto.create.topics.enable");
    config.num_partitions = static_cast<int32_t>(options.integer("num.partitions"));
    config.max_request_bytes = static_cast<uint32_t>(options.integer("socket.request.max.bytes"));
    config.retention_check_interval_ms = options.integer("log.retention.check.interval.ms");
    config.cleaner_backoff_ms = options.integer("log.cleaner.backoff.ms");
    config.producer_id_expiration_ms = options.integer("producer.id.expiration.ms");
    config.producer_id_expiration_check_interval_ms = options.integer("producer.id.expiration.check.interval.ms");
    return config;
}

LogConfig log_defaults(const mb::Options& options) {
    LogConfig config;
    config.segment_bytes = options.integer("log.segment.bytes");
    config.segment_ms = options.integer("log.roll.ms");
    config.retention_bytes = options.integer("log.retention.bytes");
    config.retention_ms = options.integer("log.retention.ms");
    config.flush_messages = options.integer("log.flush.interval.messages");
    config.flush_ms = options.integer("log.flush.interval.ms");
    config.index_interval_bytes = options.integer("log.index.interval.bytes");
    config.max_message_bytes = options.integer("message.max.bytes");
    config.log_append_time = options.text("log.message.timestamp.type") == "LogAppendTime";
    apply_topic_config(config, "cleanup.policy", options.text("log.cleanup.policy"));  // a choice: valid
    config.delete_retention_ms = options.integer("log.cleaner.delete.retention.ms");
    return config;
}

GroupConfig group_config(const mb::Options& options) {
    GroupConfig config;
    config.min_session_timeout_ms = static_cast<int32_t>(options.integer("group.min.session.timeout.ms"));
    config.max_session_timeout_ms = static_cast<int32_t>(options.integer("group.max.session.timeout.ms"));
    config.initial_rebalance_delay_ms = options.integer("group.initial.rebalance.delay.ms");
    config.empty_group_check_interval_ms = options.integer("offsets.retention.check.interval.ms");
    return config;
}

}  // namespace minikafka
