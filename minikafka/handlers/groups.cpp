// minikafka/handlers/groups.cpp
//
// CONCEPT: consumer groups - the course notes' "Consumers subscribe to topics", scaled out.
// The consumers sharing a group.id divide a topic's partitions among themselves, each partition
// read by exactly one member, so adding consumers (up to the partition count) adds throughput
// while ordering within a partition is kept. The broker does not compute the division: one
// member (the leader) does, in its client, and the broker only runs the rendezvous.
//
//   FindCoordinator ─▶ which broker runs this group
//   JoinGroup  (all members) ─▶ held until everyone has joined ─▶ leader gets the member list
//   SyncGroup  (leader sends the assignment) ─▶ every member gets its own partitions
//   Heartbeat  ─▶ "still alive"; REBALANCE_IN_PROGRESS tells a member to join again
//
// The APIs: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, ListGroups,
// DescribeGroups, DeleteGroups (protocol/groups.hpp). The decisions are the group state
// machine's (model/consumer_group.cpp); these handlers translate. JoinGroup and SyncGroup
// answers are often held back until other members act, so they answer through callbacks on a
// deferred Reply.
// READ NEXT: model/consumer_group.hpp (the state machine), docs/minikafka/03-consumer-groups.md.
#include "protocol/groups.hpp"
#include "core/offsets_topic.hpp"
#include "handler_table.hpp"

namespace minikafka {

namespace {

// --trace: a member's assignment is opaque bytes to the broker (the leader's client computed it),
// but with the "consumer" protocol type they follow ConsumerProtocolAssignment:
//   version INT16 | [topic STRING | [partition INT32]] | user_data BYTES
// Read only to narrate "member X got orders[0,1]"; anything else is shown as its size.
std::string describe_assignment(std::string_view protocol_type, std::string_view bytes) {
    if (bytes.empty()) return "nothing";
    if (protocol_type == "consumer") {
        KafkaReader in(bytes);
        in.i16();
        std::string text;
        int32_t topics = in.i32();
        for (int32_t t = 0; in.ok() && t < topics && t < 100; ++t) {
            std::string_view topic = in.string();
            int32_t count = in.i32();
            std::string partitions;
            for (int32_t i = 0; in.ok() && i < count && i < 1000; ++i)
                partitions += fmt::format("{}{}", partitions.empty() ? "" : ",", in.i32());
            if (in.ok()) text += fmt::format("{}{}[{}]", text.empty() ? "" : " ", topic, partitions);
        }
        if (in.ok()) return text.empty() ? "nothing" : text;
    }
    return fmt::format("{} bytes ({})", bytes.size(), protocol_type);
}

// Cluster mode: only the leader of the group's __consumer_offsets partition runs the group
// (core/offsets_topic.hpp); everyone else answers NOT_COORDINATOR and the client asks
// FindCoordinator again. Single-node mode: every group is ours.
// Join, Sync, Heartbeat, Leave, Describe and Delete ask this first: a request that reached the
// wrong broker must not touch a group here, or two brokers could each run a half of one group.
ErrorCode coordinator_error(Broker& broker, std::string_view group_id) {
    if (!broker.offsets_topic || group_id.empty()) return ErrorCode::None;
    return broker.offsets_topic->check(group_id);
}

}  // namespace

// FindCoordinator: the first request of every group consumer. The coordinator is where all of the
// group's JoinGroup, SyncGroup, Heartbeat and OffsetCommit requests must go, so that one broker
// sees the whole group and can decide its rebalances alone.
bool handle_find_coordinator(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    FindCoordinatorRequest request = decode_find_coordinator_request(body, header.api_version);
    if (!body.ok()) return false;
    // One broker coordinates every group (key_type 0). Transactions (key_type 1) are not
    // implemented; any other key type does not exist (Kafka: INVALID_REQUEST).
    ErrorCode error = request.key_type == 0   ? ErrorCode::None
                      : request.key_type == 1 ? ErrorCode::CoordinatorNotAvailable
                                              : ErrorCode::InvalidRequest;
    OffsetsTopic::Coordinator coordinator{error, broker.config.node_id, broker.config.advertised_host,
                                          broker.config.port};
    // Cluster mode: the leader of the group's partition of __consumer_offsets, whichever broker
    // is asked (the first ask creates the topic; meanwhile COORDINATOR_NOT_AVAILABLE, retried).
    if (error == ErrorCode::None && broker.offsets_topic) {
        coordinator = broker.offsets_topic->find_coordinator(request.key, broker.now_ms());
        broker.trace("find coordinator group={} -> {}", request.key,
                     coordinator.error == ErrorCode::None
                         ? fmt::format("node {} (leader of {}-{})", coordinator.node_id, kOffsetsTopic,
                                       offsets_partition_for(request.key, broker.offsets_topic->partition_count()))
                         : fmt::format("error_code={}", static_cast<int>(coordinator.error)));
        if (coordinator.error != ErrorCode::None) coordinator = {coordinator.error, -1, "", -1};
    }
    KafkaWriter out = reply.writer();
    encode_find_coordinator_response(out, header.api_version, coordinator.error, coordinator.node_id, coordinator.host,
                                     coordinator.port);
    return true;
}

// JoinGroup: "I am in, with these assignors and this subscription". The client id and host are
// kept for DescribeGroups (what kafka-consumer-groups.sh --describe --members shows).
bool handle_join_group(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    JoinGroupRequest request = decode_join_group_request(body, header.api_version);
    if (!body.ok()) return false;
    request.params.client_id = std::string(header.client_id.value_or(""));
    request.params.client_host = std::string(header.client_host);
    if (ErrorCode error = coordinator_error(broker, request.group_id); error != ErrorCode::None) {
        KafkaWriter out = reply.writer();
        encode_join_group_response(out, header.api_version, join_error(error, request.params.member_id));
        return true;
    }
    // The answer cannot be written now: a join completes only when every known member has
    // (re)joined or the rebalance timeout ran out. The deferred Reply keeps the connection's
    // response order while this request waits.
    auto deferred = reply.defer();
    broker.groups.join(
        request.group_id, std::move(request.params), broker.now_ms(),
        [deferred, version = header.api_version, &broker,
         group = std::string(request.group_id)](const JoinGroupResult& result) {
            if (broker.tracing) {
                const bool leads = !result.member_id.empty() && result.member_id == result.leader;
                broker.trace("group join group={} member={} -> {}", group, result.member_id,
                             result.error == ErrorCode::MemberIdRequired
                                 ? std::string("error_code=79 MEMBER_ID_REQUIRED: join again with this id")
                             : result.error != ErrorCode::None
                                 ? fmt::format("error_code={}", static_cast<int>(result.error))
                             : leads ? fmt::format("generation={} protocol={} leader: it assigns "
                                                   "partitions to all {} members",
                                                   result.generation_id, result.protocol_name, result.members.size())
                                     : fmt::format("generation={} protocol={} follower of {}", result.generation_id,
                                                   result.protocol_name, result.leader));
            }
            KafkaWriter out = deferred->writer();
            encode_join_group_response(out, version, result);
            deferred->finish();
        });
    return true;
}

// SyncGroup: from the leader it carries the assignment for everyone; from a follower it is a
// request for its own share. Both wait until the leader's arrives (model/consumer_group.cpp).
bool handle_sync_group(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    SyncGroupRequest request = decode_sync_group_request(body, header.api_version);
    if (!body.ok()) return false;
    if (ErrorCode error = coordinator_error(broker, request.group_id); error != ErrorCode::None) {
        KafkaWriter out = reply.writer();
        encode_sync_group_response(out, header.api_version, {error, {}});
        return true;
    }
    // A follower's SyncGroup waits for the leader's: only the leader brings the assignment.
    auto deferred = reply.defer();
    broker.groups.sync(
        request.group_id, request.generation_id, request.member_id, std::move(request.assignments), broker.now_ms(),
        [deferred, version = header.api_version, &broker, group = std::string(request.group_id),
         member = request.member_id, generation = request.generation_id](const SyncGroupResult& result) {
            if (broker.tracing) {
                const ConsumerGroup* g = broker.groups.group(group);
                broker.trace("group sync group={} member={} generation={} -> {}", group, member, generation,
                             result.error != ErrorCode::None
                                 ? fmt::format("error_code={}", static_cast<int>(result.error))
                                 : "assigned " + describe_assignment(g ? g->protocol_type() : "", result.assignment));
            }
            KafkaWriter out = deferred->writer();
            encode_sync_group_response(out, version, result);
            deferred->finish();
        });
    return true;
}

// Heartbeat: answered at once, never deferred - a member sends one every heartbeat.interval.ms
// (3 s by default) and must learn of a rebalance within that interval.
bool handle_heartbeat(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    HeartbeatRequest request = decode_heartbeat_request(body, header.api_version);
    if (!body.ok()) return false;
    // A heartbeat is how the coordinator learns of a rebalance's need *and* how a member learns
    // of it: the answer REBALANCE_IN_PROGRESS sends the member back to JoinGroup. A member whose
    // heartbeats stop for session.timeout.ms is removed (model/consumer_group.cpp).
    ErrorCode error = coordinator_error(broker, request.group_id);
    if (error == ErrorCode::None)
        error = broker.groups.heartbeat(request.group_id, request.generation_id, request.member_id, broker.now_ms());
    KafkaWriter out = reply.writer();
    encode_error_only_response(out, header.api_version, error);
    return true;
}

// LeaveGroup: a consumer closing cleanly says so, and its partitions go to the others at once
// rather than after its session timeout.
bool handle_leave_group(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    LeaveGroupRequest request = decode_leave_group_request(body, header.api_version);
    if (!body.ok()) return false;
    ErrorCode error = coordinator_error(broker, request.group_id);
    if (error == ErrorCode::None) error = broker.groups.leave(request.group_id, request.member_id, broker.now_ms());
    KafkaWriter out = reply.writer();
    encode_error_only_response(out, header.api_version, error);
    return true;
}

// ListGroups and DescribeGroups are what `kafka-consumer-groups.sh --list / --describe` show. In a
// cluster each broker lists only the groups it coordinates - Kafka's admin client asks every
// broker and merges the answers.
bool handle_list_groups(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    if (!body.ok()) return false;
    KafkaWriter out = reply.writer();
    encode_list_groups_response(out, header.api_version, broker.groups.list_groups());
    return true;
}

// DescribeGroups answers per group, each with its own error: a group this broker does not
// coordinate says NOT_COORDINATOR, an unknown one comes back as state "Dead" with no members,
// as Kafka answers it.
bool handle_describe_groups(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    std::vector<std::string> ids = decode_describe_groups_request(body, header.api_version);
    if (!body.ok()) return false;
    std::vector<DescribedGroup> groups;
    for (auto& id : ids) {
        DescribedGroup& described = groups.emplace_back();
        if (id.empty()) described.error = ErrorCode::InvalidGroupId;
        if (ErrorCode error = coordinator_error(broker, id); error != ErrorCode::None) {
            described.error = error;
        } else if (const ConsumerGroup* group = broker.groups.group(id)) {
            described.state = to_string(group->state());
            described.protocol_type = group->protocol_type();
            // Kafka fills in the protocol, metadata and assignments only for a Stable group.
            bool stable = group->state() == GroupState::Stable;
            if (stable) described.protocol = group->protocol_name();
            for (const auto& [member_id, member] : group->members()) {
                const std::string* metadata = stable ? member.metadata_for(group->protocol_name()) : nullptr;
                described.members.push_back({member_id, member.instance_id, member.client_id, member.client_host,
                                             metadata ? *metadata : std::string(),
                                             stable ? member.assignment : std::string()});
            }
        }
        described.group_id = std::move(id);
    }
    KafkaWriter out = reply.writer();
    encode_describe_groups_response(out, header.api_version, groups);
    return true;
}

// DeleteGroups: what `kafka-consumer-groups --delete` and the admin clients send to drop a group
// nobody uses any more. Its committed offsets are deleted with tombstones in the offset store,
// and the answer waits for their fsync, as a commit's does: a deleted group stays deleted.
// Cluster mode: the tombstones go to the group's partition of __consumer_offsets, and the
// answer waits until they are replicated (core/offsets_topic.hpp), as a commit's does.
// Each group's tombstones are appended separately (groups may live in different partitions of
// __consumer_offsets); `waiting` counts the appends still out, plus one for this loop itself, so
// the answer goes out exactly once, after the last of them.
static void delete_groups_replicated(Broker& broker, int16_t version, std::vector<std::string> ids, Reply& reply) {
    struct Pending {
        std::vector<std::pair<std::string, ErrorCode>> results;
        size_t waiting = 1;
        int16_t version = 0;
        std::shared_ptr<Reply> reply;
        void one_done() {
            if (--waiting > 0) return;
            KafkaWriter out = reply->writer();
            encode_delete_groups_response(out, version, results);
            reply->finish();
        }
    };
    auto pending = std::make_shared<Pending>();
    pending->version = version;
    pending->reply = reply.defer();
    for (std::string& id : ids) {
        std::vector<std::pair<std::string, int32_t>> removed;
        ErrorCode error = coordinator_error(broker, id);
        if (error == ErrorCode::None) error = broker.groups.delete_group(id, removed);
        const size_t index = pending->results.size();
        pending->results.emplace_back(id, error);
        if (removed.empty()) continue;
        std::vector<OffsetCommitRecord> tombstones;
        for (auto& [topic, partition] : removed) tombstones.push_back({id, std::move(topic), partition, std::nullopt});
        ++pending->waiting;
        broker.offsets_topic->append(id, tombstones, [pending, index](ErrorCode appended) {
            if (appended != ErrorCode::None) pending->results[index].second = appended;
            pending->one_done();
        });
    }
    pending->one_done();
}

// Only a group without members can be deleted (GroupCoordinator::delete_group answers
// NON_EMPTY_GROUP otherwise): deleting the offsets of consumers that are still reading would make
// them start over at their next restart.
bool handle_delete_groups(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    std::vector<std::string> ids = decode_delete_groups_request(body, header.api_version);
    if (!body.ok()) return false;
    if (broker.offsets_topic) {
        delete_groups_replicated(broker, header.api_version, std::move(ids), reply);
        return true;
    }
    std::vector<std::pair<std::string, ErrorCode>> results;
    bool tombstones = false;
    for (std::string& id : ids) {
        std::vector<std::pair<std::string, int32_t>> removed;
        ErrorCode error = broker.groups.delete_group(id, removed);
        for (auto& [topic, partition] : removed) {
            broker.offset_store.append({id, std::move(topic), partition, {-1, -1, "", broker.now_ms()}});
            tombstones = true;
        }
        results.emplace_back(std::move(id), error);
    }
    KafkaWriter out = reply.writer();
    encode_delete_groups_response(out, header.api_version, results);
    if (tombstones) broker.answer_when_offsets_are_on_disk(reply);
    return true;
}

}  // namespace minikafka
