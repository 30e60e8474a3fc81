// minikafka/protocol/admin.cpp
//
// CONCEPT: the admin APIs on the wire (admin.hpp has the layouts). Each codec follows Kafka's
// message schemas field by field, with one `if (version >= N)` per field that a version added:
// that is the whole of Kafka's versioning, and reading it here shows why old clients keep working.
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
//
// Errors travel per topic (error_code + error_message), so one refused topic does not fail a
// request that creates ten.
// READ NEXT: handlers/admin.cpp (what is done with the decoded request).
#include "admin.hpp"

namespace minikafka {

namespace {

std::optional<std::string_view> message_or_null(const std::string& message) {
    if (message.empty()) return std::nullopt;
    return message;
}

std::vector<int32_t> decode_broker_ids(KafkaReader& in) {
    std::vector<int32_t> ids;
    int32_t count = in.array_length();
    for (int32_t i = 0; i < count && in.ok(); ++i) ids.push_back(in.i32());
    return ids;
}

// name | value (nullable) pairs. A null value means "no override": Kafka drops such entries.
std::vector<ConfigEntry> decode_config_entries(KafkaReader& in) {
    std::vector<ConfigEntry> entries;
    int32_t count = in.array_length();
    for (int32_t c = 0; c < count && in.ok(); ++c) {
        std::string name(in.string());
        auto value = in.nullable_string();
        if (value) entries.push_back({std::move(name), std::string(*value)});
    }
    return entries;
}

}  // namespace

CreateTopicsRequest decode_create_topics_request(KafkaReader& in, int16_t version) {
    CreateTopicsRequest request;
    int32_t topics = in.array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        CreatableTopic& topic = request.topics.emplace_back();
        topic.name = in.string();
        topic.num_partitions = in.i32();
        topic.replication_factor = in.i16();
        int32_t assignments = in.array_length();
        for (int32_t a = 0; a < assignments && in.ok(); ++a) {
            in.i32();  // partition index: listed in order
            topic.assignments.push_back(decode_broker_ids(in));
        }
        topic.configs = decode_config_entries(in);
    }
    in.i32();  // timeout_ms: creation is immediate here
    if (version >= 1) request.validate_only = in.boolean();
    return request;
}

void encode_create_topics_response(KafkaWriter& out, int16_t version, const std::vector<TopicResult>& results) {
    if (version >= 2) out.i32(0);
    out.array_length(results.size());
    for (const auto& result : results) {
        out.string(result.name);
        out.i16(static_cast<int16_t>(result.error));
        if (version >= 1) out.nullable_string(message_or_null(result.message));
    }
}

std::vector<std::string> decode_delete_topics_request(KafkaReader& in, int16_t) {
    std::vector<std::string> names;
    int32_t count = in.array_length();
    for (int32_t i = 0; i < count && in.ok(); ++i) names.emplace_back(in.string());
    in.i32();  // timeout_ms
    return names;
}

void encode_delete_topics_response(KafkaWriter& out, int16_t version, const std::vector<TopicResult>& results) {
    if (version >= 1) out.i32(0);
    out.array_length(results.size());
    for (const auto& result : results) {
        out.string(result.name);
        out.i16(static_cast<int16_t>(result.error));
    }
}

CreatePartitionsRequest decode_create_partitions_request(KafkaReader& in, int16_t) {
    CreatePartitionsRequest request;
    int32_t topics = in.array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        CreatePartitionsTopic& topic = request.topics.emplace_back();
        topic.name = in.string();
        topic.count = in.i32();
        if (auto assignments = in.nullable_array_length()) {
            topic.assignments.emplace();
            for (int32_t a = 0; a < *assignments && in.ok(); ++a) topic.assignments->push_back(decode_broker_ids(in));
        }
    }
    in.i32();  // timeout_ms
    request.validate_only = in.boolean();
    return request;
}

void encode_create_partitions_response(KafkaWriter& out, int16_t, const std::vector<TopicResult>& results) {
    out.i32(0);
    out.array_length(results.size());
    for (const auto& result : results) {
        out.string(result.name);
        out.i16(static_cast<int16_t>(result.error));
        out.nullable_string(message_or_null(result.message));
    }
}

std::vector<DescribeConfigsResource> decode_describe_configs_request(KafkaReader& in, int16_t version) {
    std::vector<DescribeConfigsResource> resources;
    int32_t count = in.array_length();
    for (int32_t r = 0; r < count && in.ok(); ++r) {
        DescribeConfigsResource& resource = resources.emplace_back();
        resource.type = in.i8();
        resource.name = in.string();
        if (auto keys = in.nullable_array_length()) {
            resource.keys.emplace();
            for (int32_t k = 0; k < *keys && in.ok(); ++k) resource.keys->emplace_back(in.string());
        }
    }
    if (version >= 1) in.boolean();  // include_synonyms: we report none
    return resources;
}

void encode_describe_configs_response(KafkaWriter& out, int16_t version,
                                      const std::vector<DescribeConfigsResult>& results) {
    out.i32(0);
    out.array_length(results.size());
    for (const auto& result : results) {
        out.i16(static_cast<int16_t>(result.error));
        out.nullable_string(message_or_null(result.message));
        out.i8(result.type);
        out.string(result.name);
        out.array_length(result.configs.size());
        for (const auto& config : result.configs) {
            out.string(config.name);
            out.nullable_string(config.value);
            out.boolean(false);  // read_only
            if (version == 0)
                out.boolean(config.source == ConfigSource::Default);
            else
                out.i8(static_cast<int8_t>(config.source));
            out.boolean(false);                     // is_sensitive
            if (version >= 1) out.array_length(0);  // synonyms
        }
    }
}

AlterConfigsRequest decode_alter_configs_request(KafkaReader& in, int16_t) {
    AlterConfigsRequest request;
    int32_t count = in.array_length();
    for (int32_t r = 0; r < count && in.ok(); ++r) {
        AlterConfigsResource& resource = request.resources.emplace_back();
        resource.type = in.i8();
        resource.name = in.string();
        resource.configs = decode_config_entries(in);
    }
    request.validate_only = in.boolean();
    return request;
}

void encode_alter_configs_response(KafkaWriter& out, int16_t, const std::vector<AlterConfigsResult>& results) {
    out.i32(0);
    out.array_length(results.size());
    for (const auto& result : results) {
        out.i16(static_cast<int16_t>(result.error));
        out.nullable_string(message_or_null(result.message));
        out.i8(result.type);
        out.string(result.name);
    }
}

// v0 in the classic layout, v1 flexible: the same fields, compact lengths, a tag section closing
// each structure.
//
//   resources [ resource_type INT8 | resource_name | configs [ name | op INT8 | value (nullable) ] ]
//   | validate_only BOOL
//
// op: 0 SET, 1 DELETE (value null), 2 APPEND, 3 SUBTRACT (list configs only) - KIP-339. The op per
// key is the point of the API: AlterConfigs carries a resource's whole override set, so two
// admins changing different keys at once undid each other's change. The flexible version (KIP-482)
// changes nothing in meaning: one lambda per field kind chooses the length encoding.
IncrementalAlterConfigsRequest decode_incremental_alter_configs_request(KafkaReader& in, int16_t version) {
    const bool flexible = version >= 1;
    auto array = [&] { return flexible ? in.compact_array_length() : in.array_length(); };
    auto string = [&] { return flexible ? in.compact_string() : in.string(); };
    auto nullable = [&] { return flexible ? in.compact_nullable_string() : in.nullable_string(); };
    IncrementalAlterConfigsRequest request;
    int32_t count = array();
    for (int32_t r = 0; r < count && in.ok(); ++r) {
        IncrementalAlterConfigsResource& resource = request.resources.emplace_back();
        resource.type = in.i8();
        resource.name = string();
        int32_t configs = array();
        for (int32_t c = 0; c < configs && in.ok(); ++c) {
            IncrementalConfigEntry& entry = resource.configs.emplace_back();
            entry.name = string();
            entry.op = in.i8();
            if (auto value = nullable()) entry.value = std::string(*value);
            if (flexible) in.skip_tagged_fields();
        }
        if (flexible) in.skip_tagged_fields();
    }
    request.validate_only = in.boolean();
    if (flexible) in.skip_tagged_fields();
    return request;
}

void encode_incremental_alter_configs_response(KafkaWriter& out, int16_t version,
                                               const std::vector<AlterConfigsResult>& results) {
    // v0 answers in exactly AlterConfigs v0's layout (throttle, then error | message | type | name
    // per resource); v1 is the same fields in the flexible encoding.
    if (version == 0) return encode_alter_configs_response(out, version, results);
    out.i32(0);  // throttle_time_ms
    out.compact_array_length(results.size());
    for (const auto& result : results) {
        out.i16(static_cast<int16_t>(result.error));
        out.compact_nullable_string(message_or_null(result.message));
        out.i8(result.type);
        out.compact_string(result.name);
        out.empty_tagged_fields();
    }
    out.empty_tagged_fields();
}

InitProducerIdRequest decode_init_producer_id_request(KafkaReader& in, int16_t) {
    InitProducerIdRequest request;
    if (auto id = in.nullable_string()) request.transactional_id = std::string(*id);
    in.i32();  // transaction_timeout_ms
    return request;
}

void encode_init_producer_id_response(KafkaWriter& out, int16_t, ErrorCode error, int64_t producer_id,
                                      int16_t producer_epoch) {
    out.i32(0);
    out.i16(static_cast<int16_t>(error));
    out.i64(producer_id);
    out.i16(producer_epoch);
}

}  // namespace minikafka

namespace minikafka {

// ---- the broker -> controller direction (cluster mode: admin requests are forwarded) ----------

void encode_create_topics_request(KafkaWriter& out, const CreateTopicsRequest& request) {
    out.array_length(request.topics.size());
    for (const CreatableTopic& topic : request.topics) {
        out.string(topic.name);
        out.i32(topic.num_partitions);
        out.i16(topic.replication_factor);
        out.array_length(topic.assignments.size());
        for (size_t p = 0; p < topic.assignments.size(); ++p) {
            out.i32(static_cast<int32_t>(p));
            out.array_length(topic.assignments[p].size());
            for (int32_t id : topic.assignments[p]) out.i32(id);
        }
        out.array_length(topic.configs.size());
        for (const ConfigEntry& c : topic.configs) {
            out.string(c.name);
            out.nullable_string(c.value);
        }
    }
    out.i32(30000);  // timeout_ms
    out.boolean(request.validate_only);
}

void encode_delete_topics_request(KafkaWriter& out, const std::vector<std::string>& names) {
    out.array_length(names.size());
    for (const std::string& name : names) out.string(name);
    out.i32(30000);
}

void encode_create_partitions_request(KafkaWriter& out, const CreatePartitionsRequest& request) {
    out.array_length(request.topics.size());
    for (const CreatePartitionsTopic& topic : request.topics) {
        out.string(topic.name);
        out.i32(topic.count);
        if (!topic.assignments) {
            out.i32(-1);
        } else {
            out.array_length(topic.assignments->size());
            for (const auto& replicas : *topic.assignments) {
                out.array_length(replicas.size());
                for (int32_t id : replicas) out.i32(id);
            }
        }
    }
    out.i32(30000);
    out.boolean(request.validate_only);
}

std::vector<TopicResult> decode_topic_results(KafkaReader& in, ApiKey key) {
    std::vector<TopicResult> results;
    in.i32();  // throttle_time_ms
    int32_t count = in.array_length();
    for (int32_t i = 0; i < count && in.ok(); ++i) {
        TopicResult& r = results.emplace_back();
        r.name = in.string();
        r.error = static_cast<ErrorCode>(in.i16());
        if (key != ApiKey::DeleteTopics) r.message = in.nullable_string().value_or("");
    }
    return results;
}

}  // namespace minikafka
