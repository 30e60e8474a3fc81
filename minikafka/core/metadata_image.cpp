// minikafka/core/metadata_image.cpp - applying metadata records; the snapshot as records.
//
// CONCEPT: the Raft state machine of the quorum (metadata_image.hpp): every node applies the same
// committed records (topics, partitions, brokers, configs) in the same order, so every node's
// image is the same - which is why any broker can answer Metadata. A snapshot is written as the
// very records that would rebuild the image, so restoring one is just applying again.
//
//   committed record ─▶ apply ─▶ topics / partitions / brokers / configs
//   snapshot()       ─▶ the records of the current image ─▶ restore() applies them
//
// READ NEXT: replica_manager.cpp (a broker acting on image changes), protocol/metadata_records.hpp.
#include "metadata_image.hpp"

#include "big_endian.hpp"

namespace minikafka {

namespace {
template <typename... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;
}  // namespace

// The replica calls this for each committed data record, in offset order, exactly once per
// process lifetime (after a restart: again from the snapshot on). So apply() must be a pure
// function of (image, record): no clock, no randomness, nothing of this node - or the nodes'
// images would drift apart while their logs stay equal.
void MetadataImage::apply(int64_t, std::string_view bytes) {
    std::optional<MetadataRecord> record = decode_metadata_record(bytes);
    if (!record) {
        // A record type this version does not know: counted (GET /api/quorum shows it), not
        // guessed at. Kafka would refuse to run an older version against a newer metadata.version.
        ++unreadable_records_;
        return;
    }
    apply(*record);
    ++applied_records_;
}

// One case per record type. A registration replaces the broker's previous one (a restart: new
// incarnation, new broker epoch); fence/unfence only count for the registration they name, so
// a late FenceBrokerRecord for an old incarnation cannot fence the new one.
void MetadataImage::apply(const MetadataRecord& record) {
    std::visit(Overloaded{
                   [&](const RegisterBrokerRecord& r) {
                       brokers_[r.broker_id] = BrokerState{r, r.fenced};
                   },
                   [&](const TopicRecord& r) { topics_[r.topic_id].name = r.name; },
                   [&](const PartitionRecord& r) { topics_[r.topic_id].partitions[r.partition_id] = r; },
                   [&](const PartitionChangeRecord& r) {
                       auto topic = topics_.find(r.topic_id);
                       if (topic == topics_.end()) return;
                       auto partition = topic->second.partitions.find(r.partition_id);
                       if (partition == topic->second.partitions.end()) return;
                       PartitionRecord& p = partition->second;
                       if (r.isr) p.isr = *r.isr;
                       if (r.replicas) p.replicas = *r.replicas;
                       if (r.removing_replicas) p.removing_replicas = *r.removing_replicas;
                       if (r.adding_replicas) p.adding_replicas = *r.adding_replicas;
                       if (r.leader != -2) {
                           p.leader = r.leader;
                           ++p.leader_epoch;  // every leader change is a new leader epoch
                       }
                       // Every change moves the partition epoch, an ISR-only one too: AlterPartition
                       // names the epoch its leader saw, and a request built on an older state is
                       // refused (INVALID_UPDATE_VERSION, topic_control.cpp) - optimistic concurrency.
                       ++p.partition_epoch;
                   },
                   [&](const FenceBrokerRecord& r) {
                       auto broker = brokers_.find(r.id);
                       if (broker != brokers_.end() && broker->second.registration.broker_epoch == r.epoch)
                           broker->second.fenced = true;
                   },
                   [&](const RemoveTopicRecord& r) { topics_.erase(r.topic_id); },
                   // Kafka's ConfigRecord names its resource by name, not by topic id; create_topic
                   // proposes a topic's configs right after its TopicRecord, so the topic is there.
                   [&](const ConfigRecord& r) {
                       if (r.resource_type != 2) return;  // only topic configs live in the image
                       for (auto& [id, topic] : topics_) {
                           if (topic.name != r.resource_name) continue;
                           if (r.value) {
                               topic.configs[r.name] = *r.value;
                           } else {
                               topic.configs.erase(r.name);
                           }
                       }
                   },
                   [&](const UnfenceBrokerRecord& r) {
                       auto broker = brokers_.find(r.id);
                       if (broker != brokers_.end() && broker->second.registration.broker_epoch == r.epoch)
                           broker->second.fenced = false;
                   },
               },
               record);
}

// [i64 applied record count] then [u32 length][record] for each record that rebuilds the image.
// Brokers first, then each topic before its partitions: restore() replays in this order, and a
// PartitionRecord needs its topic to exist. The count is carried so /api/quorum's
// applied_records means "records since the log began" on every node, snapshot or not.
std::string MetadataImage::snapshot() const {
    std::string out(8, '\0');
    mb::store_big_endian(out.data(), applied_records_);
    auto add = [&](const MetadataRecord& record) {
        std::string bytes = encode_metadata_record(record);
        char length[4];
        mb::store_big_endian(length, static_cast<uint32_t>(bytes.size()));
        out.append(length, 4);
        out += bytes;
    };
    for (const auto& [id, broker] : brokers_) {
        RegisterBrokerRecord r = broker.registration;
        r.fenced = broker.fenced;
        add(r);
    }
    for (const auto& [id, topic] : topics_) {
        add(TopicRecord{topic.name, id});
        for (const auto& [name, value] : topic.configs) add(ConfigRecord{2, topic.name, name, value});
        for (const auto& [p, partition] : topic.partitions) add(partition);
    }
    return out;
}

// Replaces the image: a snapshot is complete state, never a delta on top of what was there. This is
// how a follower that fetched a snapshot (FetchSnapshot, because the leader had already deleted
// the log it was missing) catches up: image from the snapshot, then the log after it (docs/
// minikafka/05-replication-and-the-controller.md, "The controller on the wire").
void MetadataImage::restore(std::string_view snapshot) {
    brokers_.clear();
    topics_.clear();
    applied_records_ = 0;
    if (snapshot.size() < 8) return;
    const int64_t count = mb::load_big_endian<int64_t>(snapshot.data());
    snapshot.remove_prefix(8);
    while (snapshot.size() >= 4) {
        const uint32_t length = mb::load_big_endian<uint32_t>(snapshot.data());
        if (length > snapshot.size() - 4) break;
        if (auto record = decode_metadata_record(snapshot.substr(4, length))) apply(*record);
        snapshot.remove_prefix(4 + length);
    }
    applied_records_ = count;
}

}  // namespace minikafka
