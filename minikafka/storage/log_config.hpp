// minikafka/storage/log_config.hpp
//
// CONCEPT: the knobs of a partition's log, under Kafka's own names. The broker sets defaults
// (log.segment.bytes, log.retention.ms, ... in server.properties or as --name value), and a
// topic may override them (segment.bytes, retention.ms, ... given to CreateTopics).
//   segment.bytes / segment.ms       when the active segment is closed and a new one started
//   retention.bytes / retention.ms   when whole old segments are deleted (-1 = never)
//   flush.messages / flush.ms        when appended data is fsynced (default: never - the OS
//                                    page cache writes it back; set flush.messages=1 to fsync
//                                    every append before its acknowledgement)
//   index.interval.bytes             how sparse the offset index is
//   max.message.bytes                the largest record batch a producer may append
//   message.timestamp.type           CreateTime (the producer's clock) or LogAppendTime (ours)
//   cleanup.policy                   delete (retention drops old segments), compact (the log
//                                    cleaner keeps the latest record per key, log_cleaner.hpp),
//                                    or compact,delete (both)
//   min.cleanable.dirty.ratio        compact when this share of the log was never cleaned
//   delete.retention.ms              how long a compacted topic keeps a tombstone (null value)
// READ NEXT: log_config.cpp (parsing), partition_log.hpp (where the knobs act).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace minikafka {

struct LogConfig {
    int64_t segment_bytes = 1024 * 1024 * 1024;
    int64_t segment_ms = 7 * 24 * 3600 * 1000LL;
    int64_t retention_bytes = -1;
    int64_t retention_ms = 7 * 24 * 3600 * 1000LL;
    int64_t flush_messages = INT64_MAX;
    int64_t flush_ms = INT64_MAX;
    int64_t index_interval_bytes = 4096;
    int64_t max_message_bytes = 1024 * 1024 + 12;
    bool log_append_time = false;
    // cleanup.policy: either or both. "delete" alone is Kafka's default for topics; "compact" is
    // its default for __consumer_offsets (core/offsets_topic.cpp).
    bool cleanup_delete = true;
    bool cleanup_compact = false;
    double min_cleanable_dirty_ratio = 0.5;
    int64_t delete_retention_ms = 24 * 3600 * 1000LL;
};

// The topic-level config names we know, with the broker-level property that sets the default.
struct TopicConfigName {
    std::string_view topic_name;   // "retention.ms"
    std::string_view broker_name;  // "log.retention.ms"
};
std::span<const TopicConfigName> topic_config_names();

// Applies a topic-level override; returns an error message for an unknown name or a bad value.
std::optional<std::string> apply_topic_config(LogConfig& config, std::string_view name, std::string_view value);

// The value of a topic-level config as Kafka prints it ("604800000", "CreateTime", ...).
std::string topic_config_value(const LogConfig& config, std::string_view name);

}  // namespace minikafka
