// minikafka/protocol/admin.hpp
//
// CONCEPT: the admin APIs - what `kafka-topics.sh`, AdminClient and kcat's tooling send to
// manage topics and read configuration. Clients send them to the *controller* (Metadata names
// it); with one broker, that is us.
//
//   CreateTopics     req: topics [name | num_partitions | replication_factor INT16
//                         | assignments [index | broker_ids [INT32]] | configs [name | value]]
//                         | timeout_ms | validate_only (v1+)
//                    resp: throttle (v2+) | topics [name | error_code | error_message (v1+)]
//   DeleteTopics     req: names [STRING] | timeout_ms
//                    resp: throttle (v1+) | responses [name | error_code]
//   CreatePartitions req: topics [name | count | assignments (nullable) [broker_ids]]
//                         | timeout_ms | validate_only
//                    resp: throttle | results [name | error_code | error_message]
//   DescribeConfigs  req: resources [type INT8 (2 topic, 4 broker) | name | keys (nullable)]
//                         | include_synonyms (v1+)
//                    resp: throttle | results [error_code | error_message | type | name
//                         | configs [name | value | read_only | is_default (v0) / source (v1+)
//                         | is_sensitive | synonyms (v1+) [name | value | source]]]
//   AlterConfigs     req: resources [type INT8 | name | configs [name | value (nullable)]]
//                         | validate_only
//                    resp: throttle | responses [error_code | error_message | type | name]
//                    (not incremental: the configs sent become the resource's whole set of
//                    overrides; a name left out, or sent with a null value, goes back to its default)
//   IncrementalAlterConfigs (KIP-339)
//                    req: resources [type INT8 | name | configs [name | operation INT8 | value
//                         (nullable)]] | validate_only        (v1: flexible - compact, tagged)
//                    resp: as AlterConfigs
//                    (incremental: only the configs named change, each by its operation -
//                    0 SET, 1 DELETE (back to the default), 2 APPEND / 3 SUBTRACT list items)
//   InitProducerId   req: transactional_id (nullable) | transaction_timeout_ms
//                    resp: throttle | error_code | producer_id INT64 | producer_epoch INT16
// READ NEXT: admin.cpp (the codecs), handlers/admin.cpp (what is done with them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

// One topic-level config as a name/value pair (what CreateTopics and DescribeConfigs carry;
// storage/log_config.hpp knows what the names mean).
struct ConfigEntry {
    std::string name;
    std::string value;
    bool operator==(const ConfigEntry&) const = default;
};

struct CreatableTopic {
    std::string name;
    int32_t num_partitions = -1;
    int16_t replication_factor = -1;
    std::vector<std::vector<int32_t>> assignments;  // per partition: its replicas' broker ids
    std::vector<ConfigEntry> configs;
};
struct CreateTopicsRequest {
    std::vector<CreatableTopic> topics;
    bool validate_only = false;
};
CreateTopicsRequest decode_create_topics_request(KafkaReader& in, int16_t version);

struct TopicResult {
    std::string name;
    ErrorCode error = ErrorCode::None;
    std::string message;  // empty = null
};
void encode_create_topics_response(KafkaWriter& out, int16_t version, const std::vector<TopicResult>& results);

std::vector<std::string> decode_delete_topics_request(KafkaReader& in, int16_t version);
void encode_delete_topics_response(KafkaWriter& out, int16_t version, const std::vector<TopicResult>& results);

struct CreatePartitionsTopic {
    std::string name;
    int32_t count = 0;
    std::optional<std::vector<std::vector<int32_t>>> assignments;
};
struct CreatePartitionsRequest {
    std::vector<CreatePartitionsTopic> topics;
    bool validate_only = false;
};
CreatePartitionsRequest decode_create_partitions_request(KafkaReader& in, int16_t version);
void encode_create_partitions_response(KafkaWriter& out, int16_t version, const std::vector<TopicResult>& results);

enum class ConfigResourceType : int8_t { Topic = 2, Broker = 4 };
enum class ConfigSource : int8_t { DynamicTopic = 1, StaticBroker = 4, Default = 5 };

struct DescribeConfigsResource {
    int8_t type = 0;
    std::string name;
    std::optional<std::vector<std::string>> keys;  // nullopt = all
};
std::vector<DescribeConfigsResource> decode_describe_configs_request(KafkaReader& in, int16_t version);

struct DescribedConfig {
    std::string name;
    std::string value;
    ConfigSource source = ConfigSource::Default;
};
struct DescribeConfigsResult {
    ErrorCode error = ErrorCode::None;
    std::string message;
    int8_t type = 0;
    std::string name;
    std::vector<DescribedConfig> configs;
};
void encode_describe_configs_response(KafkaWriter& out, int16_t version,
                                      const std::vector<DescribeConfigsResult>& results);

struct AlterConfigsResource {
    int8_t type = 0;
    std::string name;
    std::vector<ConfigEntry> configs;  // the entries with a value
};
struct AlterConfigsRequest {
    std::vector<AlterConfigsResource> resources;
    bool validate_only = false;
};
AlterConfigsRequest decode_alter_configs_request(KafkaReader& in, int16_t version);

struct AlterConfigsResult {
    ErrorCode error = ErrorCode::None;
    std::string message;
    int8_t type = 0;
    std::string name;
};
void encode_alter_configs_response(KafkaWriter& out, int16_t version, const std::vector<AlterConfigsResult>& results);

enum class AlterConfigOp : int8_t { Set = 0, Delete = 1, Append = 2, Subtract = 3 };
struct IncrementalConfigEntry {
    std::string name;
    int8_t op = 0;  // AlterConfigOp, as sent (an unknown one is refused by the handler)
    std::optional<std::string> value;
};
struct IncrementalAlterConfigsResource {
    int8_t type = 0;
    std::string name;
    std::vector<IncrementalConfigEntry> configs;
};
struct IncrementalAlterConfigsRequest {
    std::vector<IncrementalAlterConfigsResource> resources;
    bool validate_only = false;
};
IncrementalAlterConfigsRequest decode_incremental_alter_configs_request(KafkaReader& in, int16_t version);
void encode_incremental_alter_configs_response(KafkaWriter& out, int16_t version,
                                               const std::vector<AlterConfigsResult>& results);

struct InitProducerIdRequest {
    std::optional<std::string> transactional_id;
};
InitProducerIdRequest decode_init_producer_id_request(KafkaReader& in, int16_t version);
void encode_init_producer_id_response(KafkaWriter& out, int16_t version, ErrorCode error, int64_t producer_id,
                                      int16_t producer_epoch);

// Cluster mode: a broker forwards these to the active controller, always at one version each
// (CreateTopics v4, DeleteTopics v3, CreatePartitions v1 - the last ones before flexible
// encodings), and reads the per-topic results back with decode_topic_results.
inline constexpr int16_t kForwardedCreateTopicsVersion = 4;
inline constexpr int16_t kForwardedDeleteTopicsVersion = 3;
inline constexpr int16_t kForwardedCreatePartitionsVersion = 1;
void encode_create_topics_request(KafkaWriter& out, const CreateTopicsRequest& request);
void encode_delete_topics_request(KafkaWriter& out, const std::vector<std::string>& names);
void encode_create_partitions_request(KafkaWriter& out, const CreatePartitionsRequest& request);
std::vector<TopicResult> decode_topic_results(KafkaReader& in, ApiKey key);

}  // namespace minikafka
