// minikafka/handlers/configs.cpp
//
// CONCEPT: a topic's behaviour is configuration, changed while it runs. retention.ms decides how
// long the log keeps records (the notes' "data retention"), segment.bytes how it is cut into
// files, cleanup.policy whether old records are deleted or compacted, min.insync.replicas how many
// copies an acks=all write needs. Each is a per-topic override of a broker default, and an
// operator must be able to see which one applies and why - hence every config is described with
// its *source*.
//
//   DescribeConfigs        ─▶ value + source (topic override / broker default / static setting)
//   AlterConfigs           ─▶ the resource's full override set, replaced wholesale
//   IncrementalAlterConfigs ─▶ SET / DELETE / APPEND / SUBTRACT single keys (KIP-339), turned
//                              here into a full set, then the AlterConfigs path
//
// In a cluster, topic configs are metadata: the change goes through the controller's log
// (ConfigRecords) and the answer waits until the asked broker's own image shows it, so a client
// that describes right after altering reads its own write (configs_visible).
// READ NEXT: storage/log_config.hpp (the configs and their defaults), handlers/admin.cpp (topics),
//            handlers/cluster_admin.cpp (forwarding to the controller).
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>

#include "cluster_admin.hpp"
#include "core/controller.hpp"
#include "core/replica_manager.hpp"
#include "handler_table.hpp"
#include "protocol/admin.hpp"

namespace minikafka {

namespace {

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
// minikafka knows, that is cleanup.policy ("delete", "compact" or both: storage/log_cleaner.hpp).
bool is_list_config(std::string_view name) { return name == "cleanup.policy"; }

// A list config's value is comma-separated ("delete,compact"), with optional spaces after commas as
// Kafka's ConfigDef parses it. APPEND adds an item that is not there yet and SUBTRACT removes one,
// so the value is taken apart into items first, and put back together after the operation.
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
//
// Why a whole set at the end rather than one change at a time: AlterConfigs - the path every change
// takes to the controller and into ConfigRecords - replaces a resource's overrides wholesale. The
// incremental API is the older API's fix for its race (two admins each sending "all my configs"
// undo each other's changes); translating against the current overrides here, at the one place
// that decides, keeps that fix while reusing the one write path.
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

}  // namespace minikafka
