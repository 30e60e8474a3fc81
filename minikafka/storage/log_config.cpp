// minikafka/storage/log_config.cpp
//
// CONCEPT: the knobs of a partition's log under Kafka's own names (log_config.hpp): parsing a
// topic override, printing the effective value for DescribeConfigs. Keeping Kafka's names means
// kafka-configs.sh, kcat and the admin clients work unchanged, and the course's Kafka docs apply.
//
//   CreateTopics / AlterConfigs {"retention.ms": "60000"} ─▶ apply_topic_config ─▶ LogConfig
//
// READ NEXT: log_manager.cpp (where overrides are stored), handlers/configs.cpp.
#include "log_config.hpp"

#include <fmt/format.h>

#include <charconv>

namespace minikafka {

namespace {

constexpr TopicConfigName kNames[] = {
    {"segment.bytes", "log.segment.bytes"},
    {"segment.ms", "log.roll.ms"},
    {"retention.bytes", "log.retention.bytes"},
    {"retention.ms", "log.retention.ms"},
    {"flush.messages", "log.flush.interval.messages"},
    {"flush.ms", "log.flush.interval.ms"},
    {"index.interval.bytes", "log.index.interval.bytes"},
    {"max.message.bytes", "message.max.bytes"},
    {"message.timestamp.type", "log.message.timestamp.type"},
    {"cleanup.policy", "log.cleanup.policy"},
    {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio"},
    {"delete.retention.ms", "log.cleaner.delete.retention.ms"},
};

int64_t* integer_field(LogConfig& config, std::string_view name) {
    if (name == "segment.bytes") return &config.segment_bytes;
    if (name == "segment.ms") return &config.segment_ms;
    if (name == "retention.bytes") return &config.retention_bytes;
    if (name == "retention.ms") return &config.retention_ms;
    if (name == "flush.messages") return &config.flush_messages;
    if (name == "flush.ms") return &config.flush_ms;
    if (name == "index.interval.bytes") return &config.index_interval_bytes;
    if (name == "max.message.bytes") return &config.max_message_bytes;
    if (name == "delete.retention.ms") return &config.delete_retention_ms;
    return nullptr;
}

}  // namespace

std::span<const TopicConfigName> topic_config_names() { return kNames; }

std::optional<std::string> apply_topic_config(LogConfig& config, std::string_view name, std::string_view value) {
    if (name == "message.timestamp.type") {
        if (value == "CreateTime")
            config.log_append_time = false;
        else if (value == "LogAppendTime")
            config.log_append_time = true;
        else
            return "message.timestamp.type must be CreateTime or LogAppendTime";
        return std::nullopt;
    }
    // A list, as Kafka's ConfigDef.Type.LIST: "compact,delete" (any order, spaces after commas).
    if (name == "cleanup.policy") {
        bool del = false, compact = false;
        for (std::string_view rest = value; !rest.empty();) {
            size_t comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
            if (item == "delete")
                del = true;
            else if (item == "compact")
                compact = true;
            else
                return "cleanup.policy takes delete, compact or both (compact,delete), not '" + std::string(item) + "'";
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
        if (!del && !compact) return "cleanup.policy must name delete, compact or both";
        config.cleanup_delete = del;
        config.cleanup_compact = compact;
        return std::nullopt;
    }
    if (name == "min.cleanable.dirty.ratio") {
        // from_chars for double is in libstdc++ 11+; a ratio is a share of the log, 0..1.
        double parsed = -1;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
        if (ec != std::errc() || end != value.data() + value.size() || !(parsed >= 0 && parsed <= 1))
            return "min.cleanable.dirty.ratio must be a number between 0 and 1";
        config.min_cleanable_dirty_ratio = parsed;
        return std::nullopt;
    }
    // Not the log's: the controller reads it when a partition has no live ISR member
    // (core/topic_control.cpp). Checked here so that every broker keeps it with the topic's
    // other overrides; a single node has nobody to elect and ignores it.
    if (name == "unclean.leader.election.enable") {
        if (value != "true" && value != "false") return "unclean.leader.election.enable must be true or false";
        return std::nullopt;
    }
    int64_t* field = integer_field(config, name);
    if (!field) return "unknown topic config '" + std::string(name) + "'";
    int64_t parsed = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (ec != std::errc() || end != value.data() + value.size())
        return "bad value '" + std::string(value) + "' for " + std::string(name);
    bool may_be_unlimited = name == "retention.bytes" || name == "retention.ms";
    bool may_be_zero = name == "delete.retention.ms";  // tombstones dropped at the next cleaning
    if (parsed < (may_be_unlimited ? -1 : may_be_zero ? 0 : 1)) return "value out of range for " + std::string(name);
    if (name == "segment.bytes" && (parsed < 14 || parsed > INT32_MAX))
        return "segment.bytes must be between 14 and 2147483647";  // file positions are 32-bit
    *field = parsed;
    return std::nullopt;
}

std::string topic_config_value(const LogConfig& config, std::string_view name) {
    if (name == "message.timestamp.type") return config.log_append_time ? "LogAppendTime" : "CreateTime";
    if (name == "cleanup.policy")
        return config.cleanup_compact ? (config.cleanup_delete ? "compact,delete" : "compact") : "delete";
    if (name == "min.cleanable.dirty.ratio") return fmt::format("{}", config.min_cleanable_dirty_ratio);
    if (int64_t* field = integer_field(const_cast<LogConfig&>(config), name)) {
        // Kafka prints "never" as Long.MAX_VALUE; we keep that spelling for the flush knobs.
        return std::to_string(*field == INT64_MAX ? INT64_MAX : *field);
    }
    return {};
}

}  // namespace minikafka
