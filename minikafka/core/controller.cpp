// minikafka/core/controller.cpp - the controller: a Raft replica on files, stepped by the wiring.
//
// CONCEPT: KRaft - the cluster's metadata kept by the brokers themselves in a Raft log, where
// the notes' "Zookeeper (in older Kafka versions)" used to be. This file is the glue that makes
// the pure Raft replica of raft/ a running controller: files for its log, a clock for its ticks,
// and the metadata image as its state machine.
//
//   peer request ─▶ handle_request ─▶ RaftReplica ─▶ outbox ─▶ the wiring sends it (controller_link)
//   tick(now)    ─▶ elections, heartbeats     committed records ─▶ MetadataImage::apply
//
// Reading order: the constructor (what a start opens), the three entry points (tick,
// handle_request, handle_response), then what happens after each step (the outbox, narration,
// self-registration), and last the two views (DescribeQuorum, /api/quorum).
// READ NEXT: raft/replica.hpp (the algorithm), metadata_image.cpp (what committed records do),
//            docs/minikafka/05-replication-and-the-controller.md "Raft in one page".
#include "controller.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>

#include <fmt/format.h>

#include "log.hpp"
#include "quorum_wire.hpp"

namespace minikafka {

// The quorum's clock is monotonic (steady_clock), never the wall clock: an election timeout or a
// broker session measured across an NTP step or a manual date change would expire early or never.
// Record timestamps and retention use the broker's wall clock instead (Broker::now_ms).
int64_t controller_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// controller.quorum.voters is the whole membership: every voter must be started with the same
// list (KIP-853's dynamic membership is left out). The ids here are what a majority is counted
// over, so a typo must stop the start rather than make a quorum of different sizes on two nodes.
bool parse_quorum_voters(std::string_view text, std::vector<QuorumVoter>& out, std::string& why) {
    out.clear();
    while (!text.empty()) {
        const size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        const size_t at = item.find('@');
        const size_t colon = item.rfind(':');
        QuorumVoter voter;
        int port = -1;
        if (at == std::string_view::npos || colon == std::string_view::npos || colon < at) {
            why = fmt::format("'{}' is not id@host:port", item);
            return false;
        }
        auto id_end = std::from_chars(item.data(), item.data() + at, voter.id);
        auto port_end = std::from_chars(item.data() + colon + 1, item.data() + item.size(), port);
        voter.host = std::string(item.substr(at + 1, colon - at - 1));
        if (id_end.ptr != item.data() + at || voter.id < 0 || port_end.ptr != item.data() + item.size() || port <= 0 ||
            port > 65535 || voter.host.empty()) {
            why = fmt::format("'{}' is not id@host:port", item);
            return false;
        }
        voter.port = static_cast<uint16_t>(port);
        for (const QuorumVoter& v : out) {
            if (v.id == voter.id) {
                why = fmt::format("voter {} is listed twice", voter.id);
                return false;
            }
        }
        out.push_back(std::move(voter));
    }
    if (out.empty()) why = "no voters listed";
    return !out.empty();
}

namespace {
// The replica's config: the timeouts as configured, and the membership from the voters list.
raft::RaftConfig raft_config(const ControllerConfig& c) {
    raft::RaftConfig r = c.raft;
    r.node_id = c.node_id;
    r.voters.clear();
    for (const QuorumVoter& v : c.voters) r.voters.push_back(v.id);
    return r;
}
// The election timer's randomness. The simulation seeds it to replay a run; a real node wants
// its voters to differ, or they would time out together and split every vote.
uint64_t random_seed() {
    std::random_device random;
    return (static_cast<uint64_t>(random()) << 32) | random();
}
}  // namespace

// Member order matters: the log, the quorum-state store and the image must exist before the
// replica, whose constructor reads the first two and restores the third from the snapshot.
Controller::Controller(ControllerConfig config, int64_t now_ms)
    : config_(std::move(config)),
      log_(config_.data_dir + "/__cluster_metadata-0"),
      store_(config_.data_dir + "/__cluster_metadata-0"),
      replica_(raft_config(config_), log_, store_, image_, config_.raft_seed != 0 ? config_.raft_seed : random_seed(),
               now_ms) {
    if (log_.truncated_tail_bytes() > 0)
        mb::log::warn("metadata log: cut off a torn last record ({} bytes) left by a crash",
                      log_.truncated_tail_bytes());
    std::random_device random;
    for (auto& byte : incarnation_) byte = static_cast<uint8_t>(random());
    const bool voter = std::any_of(config_.voters.begin(), config_.voters.end(),
                                   [&](const QuorumVoter& v) { return v.id == config_.node_id; });
    mb::log::info("controller: node {} {} {} voters, metadata log offsets [{}, {}), epoch {}", config_.node_id,
                  voter ? "is one of" : "observes (process.roles=broker) the", config_.voters.size(),
                  log_.start_offset(), log_.end_offset(), replica_.epoch());
}

// Time moves only here: the replica's timers (elections, fetches, check quorum), then the broker
// lifecycle's (fencing on the leader, this node's registration/heartbeat), then whatever they
// queued goes out. The wiring calls this every 10 ms.
void Controller::tick(int64_t now_ms) {
    replica_.tick(now_ms);
    tick_fencing(now_ms);
    tick_partitions(now_ms);
    tick_broker(now_ms);
    route_outbox(nullptr, -1);
    after_step(now_ms);
}

// The envelope's `from` comes from the request itself (candidate id, leader id, replica id): a
// Kafka connection carries no sender identity of its own. A peer lying about it could only
// confuse the quorum as much as any bad voter could - Raft does not defend against those, and
// Kafka protects the controller listener with TLS/SASL, which minikafka leaves out.
std::optional<raft::Message> Controller::handle_request(const raft::Message& request, int64_t now_ms, Answer later) {
    const int32_t from = sender_of(request);
    raft::Message handed = request;
    auto* fetch = std::get_if<raft::FetchRequest>(&handed);
    const bool is_fetch = fetch != nullptr;
    if (fetch && !later) fetch->max_wait_ms = 0;  // nowhere to send a late answer: no waiting
    replica_.handle(raft::Envelope{from, config_.node_id, std::move(handed)}, now_ms);
    std::optional<raft::Message> answer;
    route_outbox(&answer, from);
    if (!answer && is_fetch) parked_answers_[from] = std::move(later);  // parked: a later step answers
    after_step(now_ms);
    return answer;
}

// `from` is the link's peer: an answer is matched to its request by the link (correlation id),
// and to the replica's own fetch by the raft correlation id carried back in it.
void Controller::handle_response(int32_t from, const raft::Message& response, int64_t now_ms) {
    replica_.handle(raft::Envelope{from, config_.node_id, response}, now_ms);
    route_outbox(nullptr, -1);
    after_step(now_ms);
}

// A graceful stop of the active controller: resign first (EndQuorumEpoch to the others), so a new
// leader is elected in about one round trip instead of after a whole fetch timeout of silence.
bool Controller::resign(int64_t now_ms) {
    if (!replica_.resign(now_ms)) return false;
    mb::log::info("controller: node {} resigns epoch {} (shutting down)", config_.node_id, replica_.epoch());
    route_outbox(nullptr, -1);
    after_step(now_ms);
    return true;
}

// The replica's outbox: a Fetch answer to a replica whose Fetch was parked goes to that parked
// request's connection (the replica answers a parked Fetch before it handles a newer one from the
// same replica, so the order matches); otherwise the first answer to `answer_to` is the reply to
// the request being handled; every request goes out through send().
void Controller::route_outbox(std::optional<raft::Message>* answer, int32_t answer_to) {
    for (raft::Envelope& envelope : replica_.take_outbox()) {
        if (std::holds_alternative<raft::FetchResponse>(envelope.message)) {
            auto parked = parked_answers_.find(envelope.to);
            if (parked != parked_answers_.end()) {
                Answer later = std::move(parked->second);
                parked_answers_.erase(parked);
                if (later) later(envelope.message);
                continue;
            }
        }
        if (!is_request(envelope.message)) {
            if (answer && !*answer && envelope.to == answer_to) *answer = std::move(envelope.message);
            continue;  // an answer with no request to ride on: nothing to do with it
        }
        if (send) send(envelope.to, envelope.message);
    }
}

// After every step of the replica (a tick, a request, a response): committed records may have
// been applied to the image; if so the broker side (ReplicaManager, via image_changed) follows the
// new image at once, not at the next tick - a new leader starts serving without waiting.
void Controller::after_step(int64_t) {
    narrate_role_change();
    if (image_.applied_records() != told_applied_) {
        told_applied_ = image_.applied_records();
        if (image_changed) image_changed();
    }
}

// --trace narrates the quorum, one line per change of role, epoch or leader, e.g.
//   quorum: node 2 is a candidate in epoch 4 (asks 1, 3 for votes)
//   quorum: node 2 leads epoch 4 (log end 17)
//   quorum: node 1 follows leader 2 in epoch 4
void Controller::narrate_role_change() {
    const raft::Role role = replica_.role();
    const int32_t epoch = replica_.epoch();
    const int32_t leader = replica_.leader_id();
    if (role == told_role_ && epoch == told_epoch_ && leader == told_leader_) return;
    told_role_ = role;
    told_epoch_ = epoch;
    told_leader_ = leader;
    std::string line;
    switch (role) {
        case raft::Role::Candidate:
            line =
                fmt::format("quorum: node {} is a candidate in epoch {} (log end {}, last epoch {}), asking for votes",
                            config_.node_id, epoch, log_.end_offset(), raft::last_epoch(log_));
            break;
        case raft::Role::Leader:
            line = fmt::format("quorum: node {} leads epoch {} - the active controller (log end {})", config_.node_id,
                               epoch, log_.end_offset());
            mb::log::info("{}", line);  // a leader change is worth a line even without --trace
            break;
        case raft::Role::Follower:
            line = fmt::format("quorum: node {} follows leader {} in epoch {}", config_.node_id, leader, epoch);
            break;
        case raft::Role::Resigned:
            line = fmt::format("quorum: node {} resigned epoch {} (lost touch with a majority, or restarted)",
                               config_.node_id, epoch);
            break;
        case raft::Role::Unattached:
            line = fmt::format("quorum: node {} is unattached in epoch {} (no leader known)", config_.node_id, epoch);
            break;
    }
    if (trace) trace(line);
}

// DescribeQuorum as Kafka answers it: only the leader knows every voter's progress; any other
// node answers NOT_LEADER_OR_FOLLOWER with the leader and epoch it knows, so a tool can ask there.
DescribeQuorumResponseData Controller::describe_quorum(int64_t now_ms) const {
    const raft::DescribeQuorumResponse d = replica_.describe_quorum(now_ms);
    DescribeQuorumResponseData out;
    out.partition_error = static_cast<int16_t>(d.error);
    out.leader_id = d.leader_id;
    out.leader_epoch = d.leader_epoch;
    out.high_watermark = d.high_watermark;
    for (const raft::ReplicaProgress& p : d.current_voters)
        out.current_voters.push_back(
            {p.replica_id, p.log_end_offset, p.last_fetch_timestamp, p.last_caught_up_timestamp});
    return out;
}

// GET /api/quorum - what this node knows: its own role and log, and, on the leader, every voter's
// log end offset and lag (how far behind the leader's log end it is).
std::string Controller::quorum_json(int64_t now_ms) const {
    std::string json =
        fmt::format(R"({{"node_id":{},"role":"{}","leader_id":{},"epoch":{},"high_watermark":{},"log_start_offset":{},)"
                    R"("log_end_offset":{},"applied_offset":{},"applied_records":{},"brokers":[)",
                    config_.node_id, raft::role_name(replica_.role()), replica_.leader_id(), replica_.epoch(),
                    replica_.high_watermark(), log_.start_offset(), log_.end_offset(), replica_.applied_offset(),
                    image_.applied_records());
    bool first = true;
    for (const auto& [id, broker] : image_.brokers()) {
        json += fmt::format("{}{{\"id\":{},\"fenced\":{},\"broker_epoch\":{}}}", first ? "" : ",", id,
                            broker.fenced ? "true" : "false", broker.registration.broker_epoch);
        first = false;
    }
    json += "],\"voters\":[";
    const raft::DescribeQuorumResponse d = replica_.describe_quorum(now_ms);
    first = true;
    for (const QuorumVoter& voter : config_.voters) {
        int64_t end = -1;
        int64_t last_fetch = -1;
        for (const raft::ReplicaProgress& p : d.current_voters) {
            if (p.replica_id == voter.id) {
                end = p.log_end_offset;
                last_fetch = p.last_fetch_timestamp;
            }
        }
        // Lag is only known to the leader (null elsewhere).
        std::string lag = end >= 0 ? std::to_string(log_.end_offset() - end) : "null";
        json +=
            fmt::format(R"({}{{"id":{},"host":"{}","port":{},"log_end_offset":{},"lag":{},"last_fetch_ms_ago":{}}})",
                        first ? "" : ",", voter.id, voter.host, voter.port, end >= 0 ? std::to_string(end) : "null",
                        lag, last_fetch >= 0 ? std::to_string(now_ms - last_fetch) : "null");
        first = false;
    }
    return json + "]}";
}

}  // namespace minikafka
