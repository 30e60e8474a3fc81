// minikafka/core/controller.hpp
//
// CONCEPT: the KRaft controller of one node - the Raft replica (raft/) given a real disk and a
// real clock, and the metadata image it feeds. Still no socket: the wiring hands it what arrived
// and sends what it asks to send, so everything here can be followed with a breakpoint.
//
//            controller listener (handlers/quorum.cpp)          controller_link.cpp (outbound)
//   Vote/Fetch/... from a peer ──▶ handle_request ──▶ answer     send(to, request) ──▶ peer's port
//                                        │                               ▲
//                                        ▼                               │ requests in the outbox
//   timer (every 10 ms) ─────────▶ tick ─▶ RaftReplica ──────────────────┘
//   answers from a peer ─────────▶ handle_response ─▶ ...
//                                        │ committed records
//                                        ▼
//                          MetadataImage (brokers, topics, partitions)
//
// On disk, in the data directory (as Kafka lays it out):
//   __cluster_metadata-0/log, __cluster_metadata-0/snapshot   the replicated log (raft/file_log.hpp)
//   __cluster_metadata-0/quorum-state                         epoch, vote, leader (raft/quorum_state.hpp)
//
// Requests and answers: a request that arrives is handed to the replica and its answer usually
// comes out of the outbox at once, so handle_request returns it and the handler writes it on the
// same connection. The exception is the long poll: the leader holds a caught-up follower's Fetch
// until there is news, and its answer comes out of a later step's outbox - handle_request keeps
// the connection's `later` for it. Everything else in the outbox is a request of ours to another
// voter and goes to send().
// Each node is also a broker (combined mode): it registers with the active controller and
// heartbeats (BrokerRegistration / BrokerHeartbeat, core/broker_lifecycle.cpp) - over the link,
// or by a direct call when it is the active controller itself.
// READ NEXT: handlers/quorum.cpp (the inbound side), controller_link.cpp (the outbound side).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "metadata_image.hpp"
#include "protocol/admin.hpp"
#include "protocol/alter_partition.hpp"
#include "protocol/broker_registration.hpp"
#include "protocol/quorum.hpp"
#include "protocol/reassignments.hpp"
#include "raft/file_log.hpp"
#include "raft/quorum_state.hpp"
#include "raft/replica.hpp"

namespace minikafka {

// The controller's clock: monotonic milliseconds (a wall clock that jumps would fire or stall
// every election timer at once). Handlers, the link and the tick all read this one.
int64_t controller_clock_ms();

// One entry of controller.quorum.voters: "id@host:port".
struct QuorumVoter {
    int32_t id = -1;
    std::string host;
    uint16_t port = 0;
};
// Parses "1@127.0.0.1:9192,2@127.0.0.1:9193"; false and a reason for anything else.
bool parse_quorum_voters(std::string_view text, std::vector<QuorumVoter>& out, std::string& why);

struct ControllerConfig {
    int32_t node_id = -1;
    std::vector<QuorumVoter> voters;
    std::string data_dir;  // the log dir: __cluster_metadata-0/ goes under it
    std::string cluster_id;
    raft::RaftConfig raft;                 // node id and voter ids are filled from the above
    BrokerEndpoint advertised;             // this node's client listener, for its RegisterBrokerRecord
    int64_t heartbeat_interval_ms = 2000;  // broker.heartbeat.interval.ms
    int64_t session_timeout_ms = 9000;     // broker.session.timeout.ms: fenced after this long silent
    bool unclean_leader_election = false;  // unclean.leader.election.enable (a topic's config wins)
    bool auto_leader_rebalance = true;     // auto.leader.rebalance.enable: leadership goes home ...
    // ... this long after the controller saw it leave (leader.imbalance.check.interval.seconds)
    int64_t leader_imbalance_check_interval_ms = 300'000;
    uint64_t raft_seed = 0;  // the election timers' seed; 0: a random one (tests fix it)
};

// Whether a topic config entry can become a ConfigRecord (nullopt) or what is wrong with it.
std::optional<std::string> check_topic_config(const ConfigEntry& c);

class Controller {
public:
    // Opens the metadata log and quorum state (throws std::runtime_error if either is corrupt).
    Controller(ControllerConfig config, int64_t now_ms);

    void tick(int64_t now_ms);
    // A quorum request from a peer (already decoded); the answer to write back now - or, for a
    // follower's long-polled Fetch that the leader holds until there is news, none now and the
    // answer later through `later` (called once, from a later step). Without `later` every
    // request is answered at once (the Fetch's wait is ignored).
    using Answer = std::function<void(const raft::Message& answer)>;
    std::optional<raft::Message> handle_request(const raft::Message& request, int64_t now_ms, Answer later = {});
    // A peer's answer to a request we sent it.
    void handle_response(int32_t from, const raft::Message& response, int64_t now_ms);

    // A graceful shutdown: if this node leads, it resigns and asks the others (EndQuorumEpoch) to
    // elect a successor now. False when it does not lead.
    bool resign(int64_t now_ms);

    // Set by the wiring: deliver `request` to voter `to` (dropped silently if it is unreachable -
    // Raft resends what matters on its timers).
    std::function<void(int32_t to, const raft::Message& request)> send;
    // Called after a step that applied metadata records (the ReplicaManager follows the image at
    // once, so that nothing answers from an older view than Metadata does).
    std::function<void()> image_changed;
    // One line per election and leader change (the wiring passes --trace lines through).
    std::function<void(std::string_view line)> trace;

    // The active controller's side of BrokerRegistration (62) and BrokerHeartbeat (63), and this
    // node's broker side: the answers to its own requests (core/broker_lifecycle.cpp).
    BrokerRegistrationResponseData register_broker(const BrokerRegistrationRequestData& request, int64_t now_ms);
    BrokerHeartbeatResponseData broker_heartbeat(const BrokerHeartbeatRequestData& request, int64_t now_ms);
    void handle_broker_response(const BrokerResponse& response, int64_t now_ms);
    // Set by the wiring: deliver this node's broker request to the active controller `to`.
    std::function<void(int32_t to, const BrokerRequest& request)> send_broker;
    int64_t broker_epoch() const { return broker_epoch_; }
    bool broker_fenced() const { return broker_fenced_; }  // false once caught up and heartbeating

    // The active controller's topic decisions (core/topic_control.cpp): CreateTopics,
    // CreatePartitions and DeleteTopics, whether they came from a client of this node or were
    // forwarded by another broker. Each checks, places replicas, and proposes the records;
    // None means "proposed" - every broker creates its logs when it applies them.
    struct TopicChange {
        ErrorCode error = ErrorCode::None;
        std::string message;
    };
    TopicChange create_topic(const CreatableTopic& topic, int32_t default_partitions, int16_t default_replication,
                             bool validate_only, int64_t now_ms);
    TopicChange create_partitions(const CreatePartitionsTopic& topic, bool validate_only, int64_t now_ms);
    TopicChange delete_topic(std::string_view name, int64_t now_ms);
    // AlterPartition (API 56) from a partition leader: a new ISR, if the leader is still the
    // leader (leader epoch) and nothing changed meanwhile (partition epoch).
    AlterPartitionResponseData alter_partition(const AlterPartitionRequestData& request, int64_t now_ms);
    // AlterConfigs for topics: each named config becomes a ConfigRecord, each override it does
    // not name a ConfigRecord with a null value (AlterConfigs replaces the whole set).
    std::vector<AlterConfigsResult> alter_configs(const AlterConfigsRequest& request, int64_t now_ms);
    // AlterPartitionReassignments (45) and ListPartitionReassignments (46) (core/reassignment.cpp).
    AlterReassignmentsResponse alter_reassignments(const AlterReassignmentsRequest& request, int64_t now_ms);
    ListReassignmentsResponse list_reassignments(const ListReassignmentsRequest& request) const;
    bool is_active() const { return replica_.role() == raft::Role::Leader; }
    // A topic of the image by name (nullptr if none); `id` gets its topic id.
    const MetadataImage::TopicState* find_topic(std::string_view name, Uuid* id = nullptr) const;

    // DescribeQuorum (API 55) as Kafka answers it, and the admin endpoint's /api/quorum JSON.
    DescribeQuorumResponseData describe_quorum(int64_t now_ms) const;
    std::string quorum_json(int64_t now_ms) const;

    const ControllerConfig& config() const { return config_; }
    const MetadataImage& image() const { return image_; }
    const raft::RaftReplica& replica() const { return replica_; }
    int64_t log_end_offset() const { return log_.end_offset(); }

private:
    void route_outbox(std::optional<raft::Message>* answer, int32_t answer_to);
    void after_step(int64_t now_ms);
    void narrate_role_change();
    // core/broker_lifecycle.cpp
    void tick_broker(int64_t now_ms);    // this node's broker: register, then heartbeat
    void tick_fencing(int64_t now_ms);   // the leader: fence brokers whose heartbeats stopped
    void open_sessions(int64_t now_ms);  // the leader: one session per registered broker
    void send_broker_request(const BrokerRequest& request, int64_t now_ms);
    // core/topic_control.cpp: the leader moves partition leadership off fenced brokers, takes them
    // out of the ISR, and gives leadership back to the preferred replica.
    void tick_partitions(int64_t now_ms);
    // core/reassignment.cpp: proposes the completion of p's reassignment once it is due (true:
    // this partition was handled).
    bool tick_reassignment(const Uuid& topic_id, const std::string& topic, const PartitionRecord& p, int64_t now_ms);
    std::vector<int32_t> unfenced_brokers() const;
    bool broker_is_live(int32_t id) const;

    ControllerConfig config_;
    raft::FileRaftLog log_;
    raft::FileQuorumStateStore store_;
    MetadataImage image_;
    raft::RaftReplica replica_;

    // What the last narration said, to narrate only changes.
    raft::Role told_role_ = raft::Role::Unattached;
    int32_t told_epoch_ = -1;
    int32_t told_leader_ = -2;
    int64_t told_applied_ = -1;  // image_.applied_records() when image_changed was last called

    // The parked Fetches' connections, by fetcher id: where the replica's late answer goes.
    std::map<int32_t, Answer> parked_answers_;

    Uuid incarnation_{};  // new at every start: tells this process from a previous one

    // This node's broker side.
    int64_t broker_epoch_ = -1;  // -1: not registered (yet, or again after STALE_BROKER_EPOCH)
    bool broker_fenced_ = true;
    bool broker_request_in_flight_ = false;
    int64_t broker_request_sent_ms_ = 0;
    int64_t next_broker_request_ms_ = 0;

    // The active controller's side: each registered broker's session (rebuilt when leading starts,
    // from each node's last sign of life in the quorum, or a full session - open_sessions).
    struct BrokerSession {
        int64_t broker_epoch = -1;
        Uuid incarnation{};
        int64_t last_heartbeat_ms = 0;
        bool fence_proposed = false;
        bool unfence_proposed = false;
    };
    std::map<int32_t, BrokerSession> sessions_;
    int32_t sessions_epoch_ = -1;  // the Raft epoch sessions_ were opened in

    // Proposed but not applied yet: a topic name (so a second CreateTopics for it is refused at
    // once), and per partition the partition epoch a change was proposed against (so the tick
    // does not propose the same change every 10 ms while the first one commits).
    std::map<std::string, int64_t, std::less<>> pending_topics_;
    std::map<std::pair<Uuid, int32_t>, std::pair<int32_t, int64_t>> pending_changes_;
    int64_t last_partition_tick_ms_ = 0;
    // When the next preferred leader election runs; -1 while none is due (every partition led by
    // its preferred replica, or this node not the active controller). Kafka's imbalancedScheduled.
    int64_t balance_due_ms_ = -1;
};

}  // namespace minikafka
