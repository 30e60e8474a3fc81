// minikafka/core/broker_lifecycle.cpp
//
// CONCEPT: brokers join the cluster through the metadata log. Both sides of BrokerRegistration
// and BrokerHeartbeat (protocol/broker_registration.hpp) live here, as members of Controller:
//
//   this node's broker (every node)            the active controller (the Raft leader)
//   tick_broker: not registered? ──Registration──▶ register_broker: propose RegisterBrokerRecord
//                                ◀── broker epoch ─┘  (fenced), broker epoch = its offset
//   every heartbeat interval ─────Heartbeat──────▶ broker_heartbeat: caught up with the log?
//                                ◀── fenced? ──────┘  propose UnfenceBrokerRecord (once)
//                                                 tick_fencing: silent > session timeout?
//                                                    propose FenceBrokerRecord
//
// Nothing here changes the image directly: every decision is a record proposed to the quorum,
// and takes effect on every node when it is committed and applied (core/metadata_image.cpp).
// So a new active controller knows every broker, fenced or not, from the log alone; only the
// heartbeat times are in memory, and a new leader starts each session at the broker's last sign
// of life its Raft replica saw (open_sessions).
// REAL KAFKA: BrokerHeartbeatManager and ClusterControlManager (the controller side),
// BrokerLifecycleManager (the broker side).
// READ NEXT: handlers/broker_registration.cpp (the wire side), metadata_image.cpp.
#include <algorithm>

#include <fmt/format.h>

#include "controller.hpp"

namespace minikafka {

// ---- the active controller's side ---------------------------------------------------------------

// Sessions (last heartbeat times) live only in the active controller's memory, so a new leader
// has no heartbeat times to start from. Starting every session at "now" would be safe but slow: a
// broker that died together with the old controller would get a full session after the election,
// which itself comes a fetch timeout after the death - detection 3.5-6.7 s with a 2 s session
// (docs/minikafka/benchmarks.md). In combined mode a node's broker and its Raft replica are one
// process, and the quorum is a heartbeat of its own: the new leader was fetching from the old one
// until it fell silent, and every voter that answered its election did so moments ago. So each
// session starts at the node's last sign of life the replica can vouch for
// (RaftReplica::last_sign_of_life), and at "now" for a broker it cannot: a broker outside the
// quorum, or a voter it has not heard from since its election began (silence it was not listening
// for proves nothing). A broker is then fenced one session timeout after its last sign of life,
// never for time it may have spent heartbeating to a controller we could not see.
// (Kafka's BrokerHeartbeatManager starts every session afresh when a controller becomes active.)
// Called on every heartbeat and fencing tick: it also opens a session for a broker whose
// registration this leader applied only after it began to lead.
void Controller::open_sessions(int64_t now_ms) {
    if (sessions_epoch_ != replica_.epoch()) {
        sessions_.clear();
        sessions_epoch_ = replica_.epoch();
    }
    for (const auto& [id, broker] : image_.brokers()) {
        if (sessions_.count(id) != 0) continue;
        const int64_t start = std::min(now_ms, replica_.last_sign_of_life(id).value_or(now_ms));
        sessions_[id] = BrokerSession{broker.registration.broker_epoch, broker.registration.incarnation_id, start};
        if (trace && start < now_ms && !broker.fenced)
            trace(fmt::format("metadata: broker {}'s session starts at its last quorum message, {} ms ago", id,
                              now_ms - start));
    }
}

// The incarnation id (random per process start) tells a retry from a restart: the same incarnation
// gets its broker epoch again, a new one gets a new registration - and so a new epoch that makes
// every heartbeat of the old process STALE_BROKER_EPOCH.
BrokerRegistrationResponseData Controller::register_broker(const BrokerRegistrationRequestData& request,
                                                           int64_t now_ms) {
    BrokerRegistrationResponseData response;
    if (replica_.role() != raft::Role::Leader) {
        response.error_code = kErrorNotController;  // the broker asks the leader it learns next
        return response;
    }
    if (request.cluster_id != config_.cluster_id) {
        response.error_code = kErrorInconsistentClusterId;  // a broker from another cluster's disk
        return response;
    }
    open_sessions(now_ms);
    auto known = sessions_.find(request.broker_id);
    if (known != sessions_.end() && known->second.incarnation == request.incarnation_id) {
        response.broker_epoch = known->second.broker_epoch;  // a retry: same process, same epoch
        return response;
    }
    RegisterBrokerRecord record;
    record.broker_id = request.broker_id;
    record.incarnation_id = request.incarnation_id;
    record.broker_epoch = log_.end_offset();  // Kafka's broker epoch: the record's own offset
    record.endpoints = request.listeners;
    record.rack = request.rack;
    record.fenced = true;  // until its first heartbeat shows it caught up
    if (!replica_.propose(encode_metadata_record(record), now_ms)) {
        response.error_code = kErrorNotController;
        return response;
    }
    sessions_[request.broker_id] = BrokerSession{record.broker_epoch, request.incarnation_id, now_ms};
    response.broker_epoch = record.broker_epoch;
    if (trace)
        trace(fmt::format("metadata: RegisterBrokerRecord broker={} broker_epoch={} (fenced) proposed",
                          record.broker_id, record.broker_epoch));
    return response;
}

BrokerHeartbeatResponseData Controller::broker_heartbeat(const BrokerHeartbeatRequestData& request, int64_t now_ms) {
    BrokerHeartbeatResponseData response;
    if (replica_.role() != raft::Role::Leader) {
        response.error_code = kErrorNotController;
        return response;
    }
    open_sessions(now_ms);
    auto session = sessions_.find(request.broker_id);
    if (session == sessions_.end() || session->second.broker_epoch != request.broker_epoch) {
        response.error_code = kErrorStaleBrokerEpoch;  // an old incarnation, or unknown: register again
        return response;
    }
    BrokerSession& s = session->second;
    s.last_heartbeat_ms = now_ms;
    // Caught up: the broker has applied the metadata log past its own registration.
    response.is_caught_up = request.current_metadata_offset > s.broker_epoch;
    auto committed = image_.brokers().find(request.broker_id);
    const bool fenced = committed == image_.brokers().end() ||
                        committed->second.registration.broker_epoch != s.broker_epoch || committed->second.fenced;
    if (fenced && response.is_caught_up && !s.unfence_proposed && !request.want_fence) {
        if (replica_.propose(encode_metadata_record(UnfenceBrokerRecord{request.broker_id, s.broker_epoch}), now_ms)) {
            s.unfence_proposed = true;
            s.fence_proposed = false;
            if (trace)
                trace(fmt::format("metadata: UnfenceBrokerRecord broker={} (caught up to offset {}) proposed",
                                  request.broker_id, request.current_metadata_offset));
        }
    }
    response.is_fenced = fenced;  // what is committed: an unfencing counts once it is applied
    return response;
}

// A fenced broker loses its leaderships (tick_partitions elects others from the ISR) and leaves
// every ISR, so acks=all produces stop waiting for a broker that is not there.
void Controller::tick_fencing(int64_t now_ms) {
    if (replica_.role() != raft::Role::Leader) return;
    open_sessions(now_ms);
    for (auto& [id, s] : sessions_) {
        if (now_ms - s.last_heartbeat_ms <= config_.session_timeout_ms || s.fence_proposed) continue;
        auto committed = image_.brokers().find(id);
        if (committed == image_.brokers().end() || committed->second.fenced) continue;
        if (replica_.propose(encode_metadata_record(FenceBrokerRecord{id, s.broker_epoch}), now_ms)) {
            s.fence_proposed = true;
            s.unfence_proposed = false;
            last_partition_tick_ms_ = 0;  // move its partitions in this very tick (topic_control.cpp)
            if (trace)
                trace(fmt::format("metadata: FenceBrokerRecord broker={} (no sign of life for {} ms) proposed", id,
                                  now_ms - s.last_heartbeat_ms));
        }
    }
}

// ---- this node's broker side --------------------------------------------------------------------

void Controller::tick_broker(int64_t now_ms) {
    if (replica_.leader_id() < 0) return;  // no active controller known: nobody to ask
    if (broker_request_in_flight_) {
        if (now_ms - broker_request_sent_ms_ < config_.raft.request_timeout_ms) return;
        broker_request_in_flight_ = false;  // lost with a connection, or the leader moved: ask again
    }
    if (now_ms < next_broker_request_ms_) return;
    if (broker_epoch_ < 0) {
        BrokerRegistrationRequestData request;
        request.broker_id = config_.node_id;
        request.cluster_id = config_.cluster_id;
        request.incarnation_id = incarnation_;
        request.listeners.push_back(config_.advertised);
        send_broker_request(request, now_ms);
    } else {
        BrokerHeartbeatRequestData request;
        request.broker_id = config_.node_id;
        request.broker_epoch = broker_epoch_;
        request.current_metadata_offset = replica_.applied_offset();
        send_broker_request(request, now_ms);
    }
}

void Controller::send_broker_request(const BrokerRequest& request, int64_t now_ms) {
    broker_request_in_flight_ = true;
    broker_request_sent_ms_ = now_ms;
    const int32_t leader = replica_.leader_id();
    if (leader != config_.node_id) {
        if (send_broker) send_broker(leader, request);
        return;
    }
    // We are the active controller: the same request, without a socket.
    if (const auto* registration = std::get_if<BrokerRegistrationRequestData>(&request)) {
        handle_broker_response(register_broker(*registration, now_ms), now_ms);
    } else {
        handle_broker_response(broker_heartbeat(std::get<BrokerHeartbeatRequestData>(request), now_ms), now_ms);
    }
}

void Controller::handle_broker_response(const BrokerResponse& response, int64_t now_ms) {
    broker_request_in_flight_ = false;
    next_broker_request_ms_ = now_ms + config_.heartbeat_interval_ms;
    if (const auto* registration = std::get_if<BrokerRegistrationResponseData>(&response)) {
        if (registration->error_code != 0) return;  // retried at the next interval
        broker_epoch_ = registration->broker_epoch;
        next_broker_request_ms_ = now_ms;  // the first heartbeat at once: it is what unfences us
        if (trace)
            trace(fmt::format("broker: node {} registered with the controller, broker epoch {}", config_.node_id,
                              broker_epoch_));
        return;
    }
    const auto& heartbeat = std::get<BrokerHeartbeatResponseData>(response);
    if (heartbeat.error_code == kErrorStaleBrokerEpoch) {
        broker_epoch_ = -1;  // the controller does not know this incarnation: register again
        next_broker_request_ms_ = now_ms;
        return;
    }
    if (heartbeat.error_code != 0) return;
    if (heartbeat.is_fenced != broker_fenced_) {
        broker_fenced_ = heartbeat.is_fenced;
        if (trace) trace(fmt::format("broker: node {} is {}", config_.node_id, broker_fenced_ ? "fenced" : "unfenced"));
    }
    // Still fenced but caught up: the unfencing is being committed - look again soon.
    if (heartbeat.is_fenced) next_broker_request_ms_ = now_ms + std::min<int64_t>(config_.heartbeat_interval_ms, 200);
}

}  // namespace minikafka
