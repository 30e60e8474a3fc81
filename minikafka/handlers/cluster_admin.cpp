// minikafka/handlers/cluster_admin.cpp
//
// CONCEPT: in a cluster, topics are the controller's business. A broker that gets CreateTopics,
// CreatePartitions or DeleteTopics does not touch its own logs: it hands the request to the
// active controller (core/topic_control.cpp) and answers its client once its own metadata image
// shows the result - so the client's next Metadata, to this broker, already sees the topic.
//
//   client ─CreateTopics vN─▶ broker 2 ─(this node leads the quorum?)─ yes ─▶ Controller::create_topic
//                                 │ no
//                                 └─ CreateTopics v4 over the controller link ─▶ broker 1's
//                                    CONTROLLER listener ─▶ handle_forwarded_admin ─▶ Controller
//   the results come back ─▶ wait until the image shows them (or 3 s) ─▶ encoded at vN for the client
//
// Kafka forwards inside an Envelope (API 58) with the client's principal; minikafka has no
// principals, so it sends the request itself at a fixed version (protocol/admin.hpp). With no
// active controller (an election), the answer is NOT_CONTROLLER, which clients retry.
// Auto-creation (Metadata and Produce for an unknown topic) asks the controller the same way and
// answers LEADER_NOT_AVAILABLE meanwhile, as Kafka does: the client asks again.
// READ NEXT: core/topic_control.cpp, core/replica_manager.cpp (what every broker then does).
#include "cluster_admin.hpp"

#include <fmt/format.h>

#include <map>
#include <string_view>

#include "core/controller.hpp"
#include "handler_table.hpp"

namespace minikafka {

namespace {

// How long a broker waits for its own image to show a change the controller accepted. The
// controller answers when it has *proposed* the records; this broker sees them only when they are
// committed and replicated to it - normally within a few fetch round trips.
constexpr int64_t kVisibleWaitMs = 3000;
constexpr int64_t kVisiblePollMs = 10;

// The forwarding versions are the highest each API has in our client table (CreateTopics v4,
// DeleteTopics v3, CreatePartitions v1): every field a client may send survives the re-encoding.
int16_t forwarded_version(ApiKey key) {
    if (key == ApiKey::CreateTopics) return kForwardedCreateTopicsVersion;
    if (key == ApiKey::DeleteTopics) return kForwardedDeleteTopicsVersion;
    return kForwardedCreatePartitionsVersion;
}

// What the image must show for `result` to have taken effect on this broker.
// A refused topic (an error result) has nothing to wait for; a deleted one must be gone; a
// created or grown one must show at least the partitions asked for.
bool visible(Broker& broker, ApiKey key, const TopicResult& result, int32_t partitions) {
    if (result.error != ErrorCode::None) return true;
    const MetadataImage::TopicState* topic = broker.controller->find_topic(result.name);
    if (key == ApiKey::DeleteTopics) return topic == nullptr;
    if (!topic) return false;
    return partitions < 0 || static_cast<int32_t>(topic->partitions.size()) >= partitions;
}

// Polls the image every few ms until every successful result is visible, then `done`. What is
// still not visible at the deadline is answered REQUEST_TIMED_OUT, as Kafka's controller answers
// a change it could not complete in time: the proposal may yet commit, or may have been lost
// with a leader change - "done" would be a promise nobody checked (a topic deleted, then back
// after a restart).
void when_visible(Broker& broker, ApiKey key, std::shared_ptr<std::vector<TopicResult>> results,
                  std::shared_ptr<std::vector<int32_t>> partitions, int64_t deadline, std::function<void()> done) {
    bool all = true;
    for (size_t i = 0; i < results->size(); ++i) all = all && visible(broker, key, (*results)[i], (*partitions)[i]);
    if (!all && broker.now_ms() >= deadline) {
        for (size_t i = 0; i < results->size(); ++i)
            if (!visible(broker, key, (*results)[i], (*partitions)[i]))
                (*results)[i] = {(*results)[i].name, ErrorCode::RequestTimedOut,
                                 "the controller has not committed it yet; it may still take effect"};
        return done();
    }
    if (all) return done();
    broker.services.run_later(kVisiblePollMs, [&broker, key, results, partitions, deadline, done] {
        when_visible(broker, key, results, partitions, deadline, done);
    });
}

// The direct path: this node is the active controller. `partitions` gets, per result, the
// partition count the image must reach before the answer is true (-1: nothing to wait for).
// Decoding happens here, not in the caller, because a forwarded request arrives as bytes at the
// fixed forwarding version and must be decoded at that version.
std::vector<TopicResult> decide(Broker& broker, ApiKey key, KafkaReader& body, int16_t version,
                                std::vector<int32_t>& partitions) {
    Controller& c = *broker.controller;
    const int64_t now = controller_clock_ms();
    std::vector<TopicResult> results;
    if (key == ApiKey::CreateTopics) {
        CreateTopicsRequest request = decode_create_topics_request(body, version);
        // A name given twice is ambiguous (which partition count?): every entry of it is refused,
        // as on a single node (handlers/admin.cpp) - and as Kafka's controller does.
        std::map<std::string_view, int> mentions;
        for (const CreatableTopic& topic : request.topics) ++mentions[topic.name];
        for (const CreatableTopic& topic : request.topics) {
            if (mentions[topic.name] > 1) {
                results.push_back({topic.name, ErrorCode::InvalidRequest,
                                   fmt::format("the request names topic '{}' more than once", topic.name)});
                partitions.push_back(-1);
                continue;
            }
            auto change = c.create_topic(topic, broker.config.num_partitions, broker.default_replication_factor,
                                         request.validate_only, now);
            results.push_back({topic.name, change.error, change.message});
            partitions.push_back(request.validate_only ? -1 : created_partitions(topic, broker.config.num_partitions));
        }
    } else if (key == ApiKey::DeleteTopics) {
        for (const std::string& name : decode_delete_topics_request(body, version)) {
            auto change = c.delete_topic(name, now);
            results.push_back({name, change.error, change.message});
            partitions.push_back(-1);
        }
    } else {
        CreatePartitionsRequest request = decode_create_partitions_request(body, version);
        for (const CreatePartitionsTopic& topic : request.topics) {
            auto change = c.create_partitions(topic, request.validate_only, now);
            results.push_back({topic.name, change.error, change.message});
            partitions.push_back(request.validate_only ? -1 : topic.count);
        }
    }
    return results;
}

// The three APIs answer with the same per-topic shape (name, error, message), so one result type
// serves all of them; only the encoder differs.
void encode_results(ApiKey key, KafkaWriter& out, int16_t version, const std::vector<TopicResult>& results) {
    if (key == ApiKey::CreateTopics) encode_create_topics_response(out, version, results);
    if (key == ApiKey::DeleteTopics) encode_delete_topics_response(out, version, results);
    if (key == ApiKey::CreatePartitions) encode_create_partitions_response(out, version, results);
}

}  // namespace

int32_t created_partitions(const CreatableTopic& topic, int32_t default_partitions) {
    if (!topic.assignments.empty()) return static_cast<int32_t>(topic.assignments.size());
    return topic.num_partitions == -1 ? default_partitions : topic.num_partitions;
}

// The entry point for CreateTopics, DeleteTopics and CreatePartitions in cluster mode. Always
// answers later (deferred): either the active controller's decision or the forwarded answer, and
// in both cases only once this broker's own image agrees (finish -> when_visible).
bool cluster_admin(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply,
                   const std::vector<std::string>& names, std::vector<int32_t> partitions) {
    const ApiKey key = header.api_key;
    auto deferred = reply.defer();
    auto finish = [&broker, key, version = header.api_version, deferred](std::vector<TopicResult> results,
                                                                         std::vector<int32_t> partitions) {
        auto shared = std::make_shared<std::vector<TopicResult>>(std::move(results));
        auto wanted = std::make_shared<std::vector<int32_t>>(std::move(partitions));
        if (wanted->size() != shared->size()) wanted->assign(shared->size(), -1);
        when_visible(broker, key, shared, wanted, broker.now_ms() + kVisibleWaitMs, [key, version, deferred, shared] {
            KafkaWriter out = deferred->writer();
            encode_results(key, out, version, *shared);
            deferred->finish();
        });
    };
    if (broker.controller->is_active()) {
        std::vector<int32_t> wanted;
        std::vector<TopicResult> results = decide(broker, key, body, header.api_version, wanted);
        finish(std::move(results), std::move(wanted));
        return true;
    }
    // Forwarded: re-encoded at the fixed version (the client's may be older or newer). The
    // controller listener speaks one version per forwarded API, so it never has to guess which
    // client version a forwarding broker happened to receive.
    std::string forwarded(body.rest());
    if (header.api_version != forwarded_version(key)) {
        KafkaReader again(forwarded);
        mb::ByteBuffer buffer;
        KafkaWriter out(buffer);
        if (key == ApiKey::CreateTopics)
            encode_create_topics_request(out, decode_create_topics_request(again, header.api_version));
        if (key == ApiKey::DeleteTopics)
            encode_delete_topics_request(out, decode_delete_topics_request(again, header.api_version));
        if (key == ApiKey::CreatePartitions)
            encode_create_partitions_request(out, decode_create_partitions_request(again, header.api_version));
        forwarded = std::string(buffer.readable());
    }
    auto unreachable = [names] {
        std::vector<TopicResult> results;
        for (const std::string& name : names)
            results.push_back({name, ErrorCode::NotController, "no active controller reachable; retry"});
        return results;
    };
    if (!broker.ask_controller) {
        finish(unreachable(), partitions);
        return true;
    }
    broker.ask_controller(key, std::move(forwarded),
                          [finish, unreachable, partitions](std::optional<Broker::TopicResults> results) {
                              finish(results ? std::move(*results) : unreachable(), partitions);
                          });
    return true;
}

// The CONTROLLER listener's side: never deferred (that listener answers in order, at once).
// Answered with the controller's decision only: the forwarding broker does the waiting for its own
// image, so this listener never holds a connection open for another broker's client.
bool handle_forwarded_admin(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    std::vector<TopicResult> results;
    if (!broker.controller) return false;
    std::vector<int32_t> partitions;
    results = decide(broker, header.api_key, body, header.api_version, partitions);
    if (!body.ok()) return false;
    KafkaWriter out = reply.writer();
    encode_results(header.api_key, out, header.api_version, results);
    return true;
}

// For requests whose answer needs no translation (AlterConfigs, AlterPartitionReassignments):
// the client's bytes go to the controller at the client's version, and the controller's answer
// bytes come back to the client untouched. `before_answering` lets a caller wait for its image
// first, as AlterConfigs does.
void forward_as_is(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply,
                   std::function<void(KafkaWriter&)> unreachable,
                   std::function<void(std::function<void()>)> before_answering) {
    auto deferred = reply.defer();
    auto answer = [deferred, unreachable, before_answering](std::optional<std::string> answer) {
        auto send = [deferred, unreachable, answer] {
            KafkaWriter out = deferred->writer();
            if (answer) {
                out.bytes(*answer);
            } else {
                unreachable(out);
            }
            deferred->finish();
        };
        if (answer && before_answering) return before_answering(send);
        send();
    };
    if (!broker.forward_to_controller) return answer(std::nullopt);
    broker.forward_to_controller(header.api_key, header.api_version, std::string(body.rest()), std::move(answer));
}

// Fire and forget: the caller answers at once with a retriable error (metadata.cpp answers
// LEADER_NOT_AVAILABLE), and the client's retry sees the topic once the controller has created it
// and its leaders are elected. A lost request costs nothing more than one more retry.
void auto_create_topic(Broker& broker, std::string_view name) {
    CreateTopicsRequest request;
    CreatableTopic& topic = request.topics.emplace_back();
    topic.name = std::string(name);
    if (broker.controller->is_active()) {
        broker.controller->create_topic(topic, broker.config.num_partitions, broker.default_replication_factor, false,
                                        controller_clock_ms());
        return;
    }
    if (!broker.ask_controller) return;
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    encode_create_topics_request(out, request);
    broker.ask_controller(ApiKey::CreateTopics, std::string(buffer.readable()), [](auto) {});
}

}  // namespace minikafka
