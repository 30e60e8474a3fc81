// /metrics for minikafka: what a Prometheus server scrapes from the admin port.
//
// CONCEPT: labels turn one number into a table. Kafka's most watched number is consumer lag -
// how far a group's committed position is behind the end of each partition:
//
//   partition payments/0:  [0][1][2][3][4][5][6][7][8][9]  log end offset 10
//                                         ^ committed 6       lag = 10 - 6 = 4
//
//   minikafka_partition_log_end_offset{topic="payments",partition="0"} 10
//   minikafka_partition_high_watermark{topic="payments",partition="0"} 10
//   minikafka_group_committed_offset{group="billing",topic="payments",partition="0"} 6
//   minikafka_group_lag{group="billing",topic="payments",partition="0"} 4
//   minikafka_requests_by_api_total{api="Produce",api_key="0"} 1234
//
// The names follow the Kafka exporters' consumer-lag series (kafka_consumergroup_lag,
// kafka_topic_partition_current_offset) with our prefix. Every family is computed when scraped
// from the broker's own state (logs, committed offsets): the request path only bumps counters.
// Lag is measured against the high watermark, as Kafka's tools do: a consumer can only read up to
// it. In minikafka a partition has one replica, so the high watermark is the log end offset.
//
// READ NEXT: common/metrics.hpp (the registry and text format), admin_api.cpp (the same numbers
// as JSON for the live page), model/group_coordinator.hpp (the committed offsets).
#include "server_metrics.hpp"

#include "core/broker.hpp"
#include "protocol/api_keys.hpp"

namespace minikafka {

SessionMetrics make_session_metrics(mb::Metrics& metrics) {
    return SessionMetrics{
        metrics.counter("minikafka_connections_total", "Connections accepted."),
        metrics.counter("minikafka_requests_total", "Requests handled."),
        metrics.counter("minikafka_bytes_in_total", "Bytes received from clients."),
        metrics.counter("minikafka_bytes_out_total", "Bytes sent to clients."),
    };
}

void register_metrics(mb::Metrics& metrics, Broker& broker, const SessionMetrics& session) {
    using mb::Metrics;
    metrics.gauge("minikafka_topics", "Topics.", [&] { return static_cast<double>(broker.logs.topics().size()); });
    auto partition_labels = [](const std::string& topic, size_t p) {
        return Metrics::label("topic", topic) + "," + Metrics::label("partition", std::to_string(p));
    };
    // One family per offset kind; each walks every partition of every topic.
    auto per_partition = [&broker, partition_labels](auto read) {
        return [&broker, partition_labels, read] {
            std::vector<mb::Sample> out;
            for (const auto& [name, topic] : broker.logs.topics())
                for (size_t p = 0; p < topic.partitions.size(); ++p)
                    if (topic.partitions[p])  // null: not replicated on this broker
                        out.push_back({partition_labels(name, p), static_cast<double>(read(*topic.partitions[p]))});
            return out;
        };
    };
    metrics.family("minikafka_partition_log_start_offset", "First offset still in the log (after retention).", false,
                   per_partition([](const PartitionLog& l) { return l.log_start_offset(); }));
    metrics.family("minikafka_partition_log_end_offset", "Offset the next record will get.", false,
                   per_partition([](const PartitionLog& l) { return l.log_end_offset(); }));
    metrics.family("minikafka_partition_high_watermark", "Last offset consumers may read, plus one.", false,
                   per_partition([](const PartitionLog& l) { return l.log_end_offset(); }));
    metrics.family("minikafka_partition_segments", "Segment files on disk.", false,
                   per_partition([](const PartitionLog& l) { return l.segments().size(); }));
    metrics.family("minikafka_partition_size_bytes", "Bytes of the partition's segments.", false,
                   per_partition([](const PartitionLog& l) { return l.size_bytes(); }));

    // Per (group, topic, partition) with a committed offset: the offset, and the lag behind the
    // partition's high watermark (0 when the topic is gone or the commit is past the end).
    auto per_commit = [&broker](bool lag) {
        return [&broker, lag] {
            std::vector<mb::Sample> out;
            for (const auto& [group, protocol_type] : broker.groups.list_groups()) {
                const GroupCoordinator::Offsets* offsets = broker.groups.offsets(group);
                if (!offsets) continue;
                for (const auto& [key, committed] : *offsets) {
                    const auto& [topic, partition] = key;
                    double value = static_cast<double>(committed.offset);
                    if (lag) {
                        const Topic* t = broker.logs.find(topic);
                        int64_t end = t && partition >= 0 && static_cast<size_t>(partition) < t->partitions.size() &&
                                              t->partitions[static_cast<size_t>(partition)]
                                          ? t->partitions[static_cast<size_t>(partition)]->log_end_offset()
                                          : committed.offset;
                        value = static_cast<double>(std::max<int64_t>(0, end - committed.offset));
                    }
                    out.push_back({Metrics::label("group", group) + "," + Metrics::label("topic", topic) + "," +
                                       Metrics::label("partition", std::to_string(partition)),
                                   value});
                }
            }
            return out;
        };
    };
    metrics.family("minikafka_group_committed_offset", "Offset a consumer group committed.", false, per_commit(false));
    metrics.family("minikafka_group_lag", "High watermark minus the group's committed offset.", false,
                   per_commit(true));
    metrics.family("minikafka_group_members", "Members of each consumer group.", false, [&broker] {
        std::vector<mb::Sample> out;
        for (const auto& [group, protocol_type] : broker.groups.list_groups())
            if (const ConsumerGroup* g = broker.groups.group(group))
                out.push_back({Metrics::label("group", group), static_cast<double>(g->members().size())});
        return out;
    });
    metrics.family("minikafka_requests_by_api_total", "Requests handled, per API.", true, [&session] {
        std::vector<mb::Sample> out;
        for (size_t key = 0; key < session.by_api_key.size(); ++key)
            if (session.by_api_key[key])
                out.push_back({Metrics::label("api", api_name(static_cast<ApiKey>(key))) + "," +
                                   Metrics::label("api_key", std::to_string(key)),
                               static_cast<double>(session.by_api_key[key])});
        return out;
    });
    metrics.gauge("minikafka_connection_buffer_bytes",
                  "Read and spare reply buffers held by client connections (idle ones hold none).",
                  [&session] { return static_cast<double>(session.buffer_bytes); });
    metrics.gauge("minikafka_connections_hibernating",
                  "Idle client connections whose session hibernates: no coroutine, no buffer, one socket wait.",
                  [&session] { return static_cast<double>(session.hibernating_connections); });
    metrics.process_metrics();
}

}  // namespace minikafka
