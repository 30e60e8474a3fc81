// minikafka/handlers/admin.cpp
//
// CONCEPT: topics are created, grown and configured through the protocol itself. The course
// notes' "Topics: streams of records categorized for organization" are not files an operator
// makes by hand: kafka-topics.sh and every admin client send CreateTopics, CreatePartitions,
// DescribeConfigs and AlterConfigs to a broker. A topic's partition count is its unit of
// parallelism (each partition is one ordered log), and its configs (retention.ms,
// segment.bytes, cleanup.policy...) are per-topic overrides of the broker's defaults.
//
//   single node: CreateTopics ─▶ LogManager::begin_topic ─▶ build_topics_in_turns ─▶ directories
//                + first segments, a few ms of them per event-loop turn (core/topic_creation.hpp)
//   cluster:     CreateTopics ─▶ cluster_admin (the controller decides) ─▶ every broker's image
//
// The admin APIs: CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs, AlterConfigs,
// IncrementalAlterConfigs (protocol/admin.hpp). Topics are created and deleted by the LogManager; these handlers check
// what only makes sense with several brokers (replication factor, replica assignment): one
// broker can hold one replica, on itself. InitProducerId lives here too: it is a broker-wide id
// allocator, not a data path.
// READ NEXT: storage/log_manager.hpp (what a topic is on disk), storage/log_config.hpp (the
//            configs), handlers/cluster_admin.cpp (the same requests in a cluster).
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>

#include "cluster_admin.hpp"
#include "core/controller.hpp"
#include "core/replica_manager.hpp"
#include "core/topic_creation.hpp"
#include "handler_table.hpp"
#include "protocol/admin.hpp"

namespace minikafka {

namespace {

// A replica assignment is acceptable when it places each partition on this broker alone.
bool assignment_is_ours(const std::vector<std::vector<int32_t>>& assignments, int32_t node_id) {
    for (const auto& replicas : assignments)
        if (replicas.size() != 1 || replicas[0] != node_id) return false;
    return true;
}

// DescribeConfigs and AlterConfigs know two kinds of resource (Kafka also has broker loggers).
constexpr std::string_view kOnlyTopicAndBrokerConfigs = "only topic (2) and broker (4) resources have configs here";

// A cluster's topic configs are metadata (ConfigRecords): every broker answers from its image,
// whether or not it holds a replica of the topic, and min.insync.replicas is listed too.
void describe_cluster_topic(Broker& broker, const std::string& name,
                            const std::function<bool(std::string_view)>& wanted, DescribeConfigsResult& result) {
    const MetadataImage::TopicState* topic = broker.controller->find_topic(name);
    if (!topic) {
        result.error = ErrorCode::UnknownTopicOrPartition;
        result.message = fmt::format("no topic '{}'", name);
        return;
    }
    LogConfig config = broker.logs.defaults();
    for (const auto& [key, value] : topic->configs) apply_topic_config(config, key, value);
    auto source = [&](std::string_view key) {
        return topic->configs.contains(std::string(key)) ? ConfigSource::DynamicTopic : ConfigSource::Default;
    };
    for (const TopicConfigName& c : topic_config_names())
        if (wanted(c.topic_name))
            result.configs.push_back(
                {std::string(c.topic_name), topic_config_value(config, c.topic_name), source(c.topic_name)});
    if (wanted("min.insync.replicas")) {
        auto set = topic->configs.find("min.insync.replicas");
        std::string value = set != topic->configs.end() ? set->second
                            : broker.replicas           ? std::to_string(broker.replicas->config().min_insync_replicas)
                                                        : "1";
        result.configs.push_back({"min.insync.replicas", value, source("min.insync.replicas")});
    }
}

}  // namespace

// CreateTopics. `undecoded` keeps the body as it came, for the cluster path: a broker that is not
// the active controller forwards the request, and re-encodes it only if the client's version
// differs from the forwarding one (cluster_admin.cpp).
bool handle_create_topics(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    KafkaReader undecoded = body;
    CreateTopicsRequest request = decode_create_topics_request(body, header.api_version);
    if (!body.ok()) return false;
    if (broker.controller) {  // a cluster: the controller decides (cluster_admin.cpp)
        std::vector<std::string> names;
        std::vector<int32_t> partitions;
        for (const CreatableTopic& topic : request.topics) {
            names.push_back(topic.name);
            partitions.push_back(request.validate_only ? -1 : created_partitions(topic, broker.config.num_partitions));
        }
        return cluster_admin(broker, header, undecoded, reply, names, partitions);
    }
    // Single node. Every check below answers per topic, so one bad topic in a request does not
    // fail the rest - Kafka's CreateTopics semantics. validate_only (an admin client's
    // validateOnly option) runs every check and stops short of creating.
    // A name given twice is ambiguous (which partition count?): Kafka refuses every entry of it.
    std::map<std::string_view, int> mentions;
    for (const CreatableTopic& topic : request.topics) ++mentions[topic.name];
    std::vector<TopicResult> results;
    std::vector<size_t> accepted;  // results whose partitions are still to be made
    for (const CreatableTopic& topic : request.topics) {
        TopicResult& result = results.emplace_back();
        result.name = topic.name;
        if (mentions[topic.name] > 1) {
            result.error = ErrorCode::InvalidRequest;
            result.message = fmt::format("the request names topic '{}' more than once", topic.name);
            continue;
        }
        int32_t partitions = topic.num_partitions;
        // An explicit replica assignment fixes the partition count too (one entry per partition);
        // without one, -1 asks for the broker's num.partitions (KIP-464).
        if (!topic.assignments.empty()) {
            if (!assignment_is_ours(topic.assignments, broker.config.node_id)) {
                result.error = ErrorCode::InvalidReplicaAssignment;
                result.message = fmt::format("this cluster has one broker, id {}", broker.config.node_id);
                continue;
            }
            partitions = static_cast<int32_t>(topic.assignments.size());
        }
        if (partitions == -1) partitions = broker.config.num_partitions;
        // -1 means "the broker's default" (KIP-464); anything but 1 asks for copies on other
        // brokers, which a single node cannot give - the same error Kafka gives when a factor
        // exceeds the live brokers.
        if (topic.replication_factor != -1 && topic.replication_factor != 1) {
            result.error = ErrorCode::InvalidReplicationFactor;
            result.message =
                fmt::format("replication factor {} is larger than the number of brokers (1)", topic.replication_factor);
            continue;
        }
        // The LogManager checks the rest (name, count, configs) and reserves the name.
        auto checked = broker.logs.begin_topic(topic.name, partitions, topic.configs, request.validate_only);
        result.error = checked.error;
        result.message = checked.message;
        if (checked.error == ErrorCode::None && !request.validate_only) accepted.push_back(results.size() - 1);
    }
    // The directories and files, a slice per event-loop turn (core/topic_creation.hpp): 10,000
    // partitions in one go would stop every other client meanwhile. The answer waits for the last.
    std::vector<std::string> names;
    for (size_t i : accepted) names.push_back(results[i].name);
    build_topics_in_turns(broker, std::move(names),
                          [later = reply.defer(), version = header.api_version, results = std::move(results),
                           accepted](std::vector<LogManager::Result> made) mutable {
                              for (size_t i = 0; i < accepted.size(); ++i) {
                                  results[accepted[i]].error = made[i].error;
                                  results[accepted[i]].message = std::move(made[i].message);
                              }
                              KafkaWriter out = later->writer();
                              encode_create_topics_response(out, version, results);
                              later->finish();
                          });
    return true;
}

// DeleteTopics: the records are gone for good, and there is no undo. Kafka can forbid it
// (delete.topic.enable=false); minikafka accepts that property without acting on it
// (server_properties.cpp), so deletion is always allowed.
bool handle_delete_topics(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    KafkaReader undecoded = body;
    std::vector<std::string> names = decode_delete_topics_request(body, header.api_version);
    if (!body.ok()) return false;
    if (broker.controller) return cluster_admin(broker, header, undecoded, reply, names, {});
    std::vector<TopicResult> results;
    std::vector<std::string> removed;
    bool tombstones = false;
    for (const std::string& name : names) {
        results.push_back({name, broker.logs.delete_topic(name, removed).error, {}});
        if (results.back().error != ErrorCode::None) continue;
        // Its committed offsets go too: a topic created again under this name starts afresh.
        for (auto& [group, partition] : broker.groups.forget_topic(name)) {
            broker.offset_store.append({group, name, partition, {-1, -1, "", broker.now_ms()}});
            tombstones = true;
        }
    }
    // Deleting files is slow (a big topic has many segments); the background worker does it, so
    // the event loop keeps serving other clients. The topic is already gone from the LogManager.
    if (!removed.empty()) broker.services.background->remove(std::move(removed));
    if (tombstones) broker.services.background->sync({broker.offset_store.file()}, [] {});
    KafkaWriter out = reply.writer();
    encode_delete_topics_response(out, header.api_version, results);
    return true;
}

// CreatePartitions: `count` is the new total, and it may only grow (LogManager refuses a smaller
// or equal one, INVALID_PARTITIONS). Removing a partition would delete its records; and even
// adding one changes which partition a key hashes to, so records with one key may land in two
// partitions from then on - Kafka warns about this, and so does docs/minikafka/04.
bool handle_create_partitions(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    KafkaReader undecoded = body;
    CreatePartitionsRequest request = decode_create_partitions_request(body, header.api_version);
    if (!body.ok()) return false;
    if (broker.controller) {
        std::vector<std::string> names;
        std::vector<int32_t> partitions;
        for (const CreatePartitionsTopic& topic : request.topics) {
            names.push_back(topic.name);
            partitions.push_back(request.validate_only ? -1 : topic.count);
        }
        return cluster_admin(broker, header, undecoded, reply, names, partitions);
    }
    std::vector<TopicResult> results;
    // Single node: each topic on its own, as CreateTopics - one refused topic fails only itself.
    for (const CreatePartitionsTopic& topic : request.topics) {
        TopicResult& result = results.emplace_back();
        result.name = topic.name;
        if (topic.assignments && !assignment_is_ours(*topic.assignments, broker.config.node_id)) {
            result.error = ErrorCode::InvalidReplicaAssignment;
            result.message = fmt::format("this cluster has one broker, id {}", broker.config.node_id);
            continue;
        }
        auto created = broker.logs.create_partitions(topic.name, topic.count, request.validate_only, broker.now_ms());
        result.error = created.error;
        result.message = created.message;
    }
    KafkaWriter out = reply.writer();
    encode_create_partitions_response(out, header.api_version, results);
    return true;
}

// DescribeConfigs: every config with its value *and its source* (topic override, broker default,
// static broker setting). The source is what tells an operator whether changing the broker's
// default would affect this topic. A null key list asks for every config of the resource.
bool handle_describe_configs(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    std::vector<DescribeConfigsResource> resources = decode_describe_configs_request(body, header.api_version);
    if (!body.ok()) return false;
    std::vector<DescribeConfigsResult> results;
    for (const auto& resource : resources) {
        DescribeConfigsResult& result = results.emplace_back();
        result.type = resource.type;
        result.name = resource.name;
        auto wanted = [&](std::string_view name) {
            return !resource.keys ||
                   std::find(resource.keys->begin(), resource.keys->end(), name) != resource.keys->end();
        };
        if (resource.type == static_cast<int8_t>(ConfigResourceType::Topic) && broker.controller) {
            describe_cluster_topic(broker, resource.name, wanted, result);
        } else if (resource.type == static_cast<int8_t>(ConfigResourceType::Topic)) {
            const Topic* topic = broker.logs.find(resource.name);
            if (!topic) {
                result.error = ErrorCode::UnknownTopicOrPartition;
                result.message = fmt::format("no topic '{}'", resource.name);
                continue;
            }
            for (const TopicConfigName& config : topic_config_names()) {
                if (!wanted(config.topic_name)) continue;
                bool overridden = std::any_of(topic->overrides.begin(), topic->overrides.end(),
                                              [&](const ConfigEntry& e) { return e.name == config.topic_name; });
                result.configs.push_back({std::string(config.topic_name),
                                          topic_config_value(topic->config, config.topic_name),
                                          overridden ? ConfigSource::DynamicTopic : ConfigSource::Default});
            }
        } else if (resource.type == static_cast<int8_t>(ConfigResourceType::Broker)) {
            // The broker-level names of the log defaults, plus who we are. Kafka names each
            // setting twice: log.retention.ms on the broker is the default of a topic's
            // retention.ms - so one table (TopicConfigName) serves both kinds of resource.
            for (const TopicConfigName& config : topic_config_names())
                if (wanted(config.broker_name))
                    result.configs.push_back({std::string(config.broker_name),
                                              topic_config_value(broker.logs.defaults(), config.topic_name),
                                              ConfigSource::StaticBroker});
            if (wanted("broker.id"))
                result.configs.push_back(
                    {"broker.id", std::to_string(broker.config.node_id), ConfigSource::StaticBroker});
            if (wanted("num.partitions"))
                result.configs.push_back(
                    {"num.partitions", std::to_string(broker.config.num_partitions), ConfigSource::StaticBroker});
            if (wanted("auto.create.topics.enable"))
                result.configs.push_back({"auto.create.topics.enable",
                                          broker.config.auto_create_topics ? "true" : "false",
                                          ConfigSource::StaticBroker});
        } else {
            result.error = ErrorCode::InvalidRequest;
            result.message = kOnlyTopicAndBrokerConfigs;
        }
    }
    KafkaWriter out = reply.writer();
    encode_describe_configs_response(out, header.api_version, results);
    return true;
}

// AlterConfigs: a topic's overrides change while it is in use - e.g. retention.ms lowered to
// watch the next retention run delete old segments. The broker's own settings are static here
// (command line), as Kafka's are unless listed as dynamic.
// In a cluster a topic's config is metadata: the active controller turns it into ConfigRecords
// (Controller::alter_configs), and every broker applies them from the log - so a change made
// through any broker reaches every replica. Another broker forwards the request as it came.
namespace {

// Whether this broker's metadata image shows what `request` sets: every valid topic resource's
// overrides exactly as asked (AlterConfigs replaces the whole set). Resources the controller
// refuses - an unknown topic, a bad value - never show; they are not waited for.
bool configs_visible(Broker& broker, const AlterConfigsRequest& request) {
    if (request.validate_only) return true;
    for (const AlterConfigsResource& r : request.resources) {
        const MetadataImage::TopicState* topic = broker.controller->find_topic(r.name);
        if (r.type != static_cast<int8_t>(ConfigResourceType::Topic) || !topic) continue;
        if (std::any_of(r.configs.begin(), r.configs.end(), [](const ConfigEntry& c) { return check_topic_config(c); }))
            continue;
        if (topic->configs.size() != r.configs.size()) return false;
        for (const ConfigEntry& c : r.configs)
            if (auto it = topic->configs.find(c.name); it == topic->configs.end() || it->second != c.value)
                return false;
    }
    return true;
}

// The controller answers once it has proposed the ConfigRecords; this broker applies them when it
// replicates them. Waiting for that (at most 3 s, polled) before answering means the client's next
// DescribeConfigs here already sees the change - as for CreateTopics (cluster_admin.cpp).
void when_configs_visible(Broker& broker, std::shared_ptr<const AlterConfigsRequest> request, int64_t deadline,
                          std::function<void()> done) {
    if (configs_visible(broker, *request) || broker.now_ms() >= deadline) return done();
    broker.services.run_later(
        10, [&broker, request, deadline, done] { when_configs_visible(broker, request, deadline, done); });
}

}  // namespace

// Three paths, as for the topic APIs: this node is the active controller (decide, then wait to
// see the ConfigRecords applied here); another broker of a cluster (forward as is, then wait the
// same way); a single node (the LogManager stores the overrides in topic-configs/ at once).
bool handle_alter_configs(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    KafkaReader undecoded = body;
    AlterConfigsRequest request = decode_alter_configs_request(body, header.api_version);
    if (!body.ok()) return false;
    if (broker.controller && broker.controller->is_active()) {
        auto results = std::make_shared<std::vector<AlterConfigsResult>>(
            broker.controller->alter_configs(request, controller_clock_ms()));
        auto deferred = reply.defer();
        when_configs_visible(broker, std::make_shared<const AlterConfigsRequest>(request), broker.now_ms() + 3000,
                             [deferred, results, version = header.api_version] {
                                 KafkaWriter out = deferred->writer();
                                 encode_alter_configs_response(out, version, *results);
                                 deferred->finish();
                             });
        return true;
    }
    if (broker.controller) {
        auto shared = std::make_shared<const AlterConfigsRequest>(request);
        forward_as_is(
            broker, header, undecoded, reply,
            [request, version = header.api_version](KafkaWriter& out) {
                std::vector<AlterConfigsResult> results;
                for (const AlterConfigsResource& r : request.resources)
                    results.push_back(
                        {ErrorCode::NotController, "no active controller reachable; retry", r.type, r.name});
                encode_alter_configs_response(out, version, results);
            },
            [&broker, shared](std::function<void()> answer) {
                when_configs_visible(broker, shared, broker.now_ms() + 3000, std::move(answer));
            });
        return true;
    }
    std::vector<AlterConfigsResult> results;
    for (const AlterConfigsResource& resource : request.resources) {
        AlterConfigsResult& result = results.emplace_back();
        result.type = resource.type;
        result.name = resource.name;
        if (resource.type == static_cast<int8_t>(ConfigResourceType::Topic)) {
            auto set = broker.logs.set_topic_config(resource.name, resource.configs, request.validate_only);
            result.error = set.error;
            result.message = set.message;
        } else if (resource.type == static_cast<int8_t>(ConfigResourceType::Broker)) {
            if (resource.configs.empty()) continue;  // "no dynamic broker configs": already so
            result.error = ErrorCode::InvalidRequest;
            result.message = fmt::format("broker configs are command-line options here; {} cannot change while running",
                                         resource.configs[0].name);
        } else {
            result.error = ErrorCode::InvalidRequest;
            result.message = kOnlyTopicAndBrokerConfigs;
        }
    }
    KafkaWriter out = reply.writer();
    encode_alter_configs_response(out, header.api_version, results);
    return true;
}

// The CONTROLLER listener's side: forwarded by another broker.
bool handle_forwarded_alter_configs(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    AlterConfigsRequest request = decode_alter_configs_request(body, header.api_version);
    if (!body.ok() || !broker.controller) return false;
    KafkaWriter out = reply.writer();
    encode_alter_configs_response(out, header.api_version,
                                  broker.controller->alter_configs(request, controller_clock_ms()));
    return true;
}

// IncrementalAlterConfigs (KIP-339): AlterConfigs replaces a resource's whole set of overrides, so
// a client that wants to change one config must first read all the others (and a concurrent
// change between the read and the write is lost). Here each config names its own operation:
//
//   SET retention.ms=60000       the override is set (others stay)
//   DELETE segment.ms            the override goes: back to the broker's default
//   APPEND cleanup.policy=delete list configs only: items added that are not there yet
//   SUBTRACT cleanup.policy=...  list configs only: items removed
//
// The operations are applied to the resource's current overrides (this node's view: the metadata
// image in a cluster, the LogManager's on a single node), and the result is the whole new set -
// an AlterConfigs resource that takes AlterConfigs' path from there: the same checks, the same
// ConfigRecords from the controller, the same wait until this node sees them. So there is one
// place that changes configs, and the incremental API is a translation in front of it.
// (Kafka's ConfigAdminManager.prepareIncrementalConfigs does the same over its own props.)
namespace {

// APPEND and SUBTRACT need a list-type config (Kafka's ConfigDef.Type.LIST). Of the topic configs
// minikafka knows, that is cleanup.policy (and it takes only "delete": no compaction).
bool is_list_config(std::string_view name) { return name == "cleanup.policy"; }

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> items;
    while (!text.empty()) {
        const size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) items.emplace_back(item);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return items;
}

// `overrides` (the topic's current ones) after `resource`'s operations; false with `result`'s
// error set when an operation is refused - the request is then not applied at all for this
// resource, as Kafka refuses a resource as a whole.
bool apply_operations(const IncrementalAlterConfigsResource& resource, const LogConfig& defaults,
                      std::map<std::string, std::string>& overrides, AlterConfigsResult& result) {
    std::map<std::string_view, int> mentions;
    for (const IncrementalConfigEntry& c : resource.configs)
        if (++mentions[c.name] > 1) {
            result.error = ErrorCode::InvalidRequest;
            result.message = fmt::format("config '{}' is named more than once", c.name);
            return false;
        }
    for (const IncrementalConfigEntry& c : resource.configs) {
        const auto op = static_cast<AlterConfigOp>(c.op);
        if (op == AlterConfigOp::Delete) {
            overrides.erase(c.name);
            continue;
        }
        if (op != AlterConfigOp::Set && op != AlterConfigOp::Append && op != AlterConfigOp::Subtract) {
            result.error = ErrorCode::InvalidRequest;
            result.message = fmt::format("unknown config operation {} for '{}'", c.op, c.name);
            return false;
        }
        if (!c.value) {
            result.error = ErrorCode::InvalidRequest;
            result.message = fmt::format("a null value for '{}' (only DELETE takes none)", c.name);
            return false;
        }
        if (op == AlterConfigOp::Set) {
            overrides[c.name] = *c.value;
            continue;
        }
        if (!is_list_config(c.name)) {
            result.error = ErrorCode::InvalidConfig;
            result.message = fmt::format("config value {} is not allowed for config key {}: it is not a list",
                                         op == AlterConfigOp::Append ? "append" : "subtract", c.name);
            return false;
        }
        // The list as it stands: the override, else the default the topic runs with.
        auto current = overrides.find(c.name);
        std::vector<std::string> items =
            split_list(current != overrides.end() ? current->second : topic_config_value(defaults, c.name));
        for (const std::string& item : split_list(*c.value)) {
            const auto at = std::find(items.begin(), items.end(), item);
            if (op == AlterConfigOp::Append && at == items.end()) items.push_back(item);
            if (op == AlterConfigOp::Subtract && at != items.end()) items.erase(at);
        }
        overrides[c.name] = fmt::format("{}", fmt::join(items, ","));
    }
    return true;
}

// The AlterConfigs request that `request` amounts to on this node's view, and the answers of the
// resources settled before it (refused, or a broker resource with nothing to change).
struct IncrementalPlan {
    AlterConfigsRequest full;                 // the translated resources, in request order
    std::vector<AlterConfigsResult> results;  // one per resource of the request
    std::vector<size_t> translated;           // results[translated[i]] answers full.resources[i]
};

IncrementalPlan plan_incremental(Broker& broker, const IncrementalAlterConfigsRequest& request) {
    IncrementalPlan plan;
    plan.full.validate_only = request.validate_only;
    for (const IncrementalAlterConfigsResource& resource : request.resources) {
        AlterConfigsResult& result = plan.results.emplace_back();
        result.type = resource.type;
        result.name = resource.name;
        if (resource.type == static_cast<int8_t>(ConfigResourceType::Broker)) {
            if (resource.configs.empty()) continue;    // "no dynamic broker configs": already so
            result.error = ErrorCode::InvalidRequest;  // Kafka's answer for a config that is not dynamic
            result.message = fmt::format("broker configs are command-line options here; {} cannot change while running",
                                         resource.configs[0].name);
            continue;
        }
        if (resource.type != static_cast<int8_t>(ConfigResourceType::Topic)) {
            result.error = ErrorCode::InvalidRequest;
            result.message = kOnlyTopicAndBrokerConfigs;
            continue;
        }
        std::map<std::string, std::string> overrides;
        bool exists = false;
        if (broker.controller) {
            if (const MetadataImage::TopicState* topic = broker.controller->find_topic(resource.name)) {
                overrides = topic->configs;
                exists = true;
            }
        } else if (const Topic* topic = broker.logs.find(resource.name)) {
            for (const ConfigEntry& c : topic->overrides) overrides[c.name] = c.value;
            exists = true;
        }
        if (!exists) {
            result.error = ErrorCode::UnknownTopicOrPartition;
            result.message = fmt::format("no topic '{}'", resource.name);
            continue;
        }
        if (!apply_operations(resource, broker.logs.defaults(), overrides, result)) continue;
        AlterConfigsResource& full = plan.full.resources.emplace_back();
        full.type = resource.type;
        full.name = resource.name;
        for (auto& [name, value] : overrides) full.configs.push_back({name, value});
        plan.translated.push_back(plan.results.size() - 1);
    }
    return plan;
}

// The translated resources' answers (from AlterConfigs' path) into their places.
void merge(IncrementalPlan& plan, const std::vector<AlterConfigsResult>& answers) {
    for (size_t i = 0; i < answers.size() && i < plan.translated.size(); ++i) {
        AlterConfigsResult& result = plan.results[plan.translated[i]];
        result.error = answers[i].error;
        result.message = answers[i].message;
    }
}

}  // namespace

// The same three paths as AlterConfigs: the active controller (translate against its image, decide,
// wait to see the ConfigRecords here), another broker of a cluster (forward as is - the controller
// translates against its own, authoritative image - then wait the same way), a single node.
bool handle_incremental_alter_configs(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    KafkaReader undecoded = body;
    IncrementalAlterConfigsRequest request = decode_incremental_alter_configs_request(body, header.api_version);
    if (!body.ok()) return false;
    auto plan = std::make_shared<IncrementalPlan>(plan_incremental(broker, request));
    const int16_t version = header.api_version;
    if (broker.controller && broker.controller->is_active()) {
        merge(*plan, broker.controller->alter_configs(plan->full, controller_clock_ms()));
        auto deferred = reply.defer();
        when_configs_visible(broker, std::shared_ptr<const AlterConfigsRequest>(plan, &plan->full),
                             broker.now_ms() + 3000, [deferred, plan, version] {
                                 KafkaWriter out = deferred->writer();
                                 encode_incremental_alter_configs_response(out, version, plan->results);
                                 deferred->finish();
                             });
        return true;
    }
    if (broker.controller) {
        forward_as_is(
            broker, header, undecoded, reply,
            [request, version](KafkaWriter& out) {
                std::vector<AlterConfigsResult> results;
                for (const IncrementalAlterConfigsResource& r : request.resources)
                    results.push_back(
                        {ErrorCode::NotController, "no active controller reachable; retry", r.type, r.name});
                encode_incremental_alter_configs_response(out, version, results);
            },
            [&broker, plan](std::function<void()> answer) {
                when_configs_visible(broker, std::shared_ptr<const AlterConfigsRequest>(plan, &plan->full),
                                     broker.now_ms() + 3000, std::move(answer));
            });
        return true;
    }
    std::vector<AlterConfigsResult> answers;
    for (const AlterConfigsResource& resource : plan->full.resources) {
        auto set = broker.logs.set_topic_config(resource.name, resource.configs, request.validate_only);
        answers.push_back({set.error, set.message, resource.type, resource.name});
    }
    merge(*plan, answers);
    KafkaWriter out = reply.writer();
    encode_incremental_alter_configs_response(out, version, plan->results);
    return true;
}

// The CONTROLLER listener's side: forwarded by another broker; translated against our image.
bool handle_forwarded_incremental_alter_configs(Broker& broker, const RequestHeader& header, KafkaReader& body,
                                                Reply& reply) {
    IncrementalAlterConfigsRequest request = decode_incremental_alter_configs_request(body, header.api_version);
    if (!body.ok() || !broker.controller) return false;
    IncrementalPlan plan = plan_incremental(broker, request);
    merge(plan, broker.controller->alter_configs(plan.full, controller_clock_ms()));
    KafkaWriter out = reply.writer();
    encode_incremental_alter_configs_response(out, header.api_version, plan.results);
    return true;
}

bool handle_init_producer_id(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    InitProducerIdRequest request = decode_init_producer_id_request(body, header.api_version);
    if (!body.ok()) return false;
    KafkaWriter out = reply.writer();
    if (request.transactional_id) {
        // Transactions need a transaction coordinator, which minikafka does not have.
        encode_init_producer_id_response(out, header.api_version, ErrorCode::TransactionalIdAuthorizationFailed, -1,
                                         -1);
        return true;
    }
    // An idempotent producer (enable.idempotence, librdkafka's and the Java client's default
    // nowadays) needs a producer id so the broker can drop its retried duplicates by sequence
    // number (model/producer_state.hpp). Epoch 0: without transactions nothing fences it.
    encode_init_producer_id_response(out, header.api_version, ErrorCode::None, broker.next_producer_id(), 0);
    return true;
}

}  // namespace minikafka
