// minikafka/core/metadata_image.hpp
//
// CONCEPT: the cluster as the controller sees it - brokers, topics, partitions - rebuilt by
// applying the committed metadata records in log order. It is the Raft state machine of the
// quorum (raft/state_machine.hpp): every node applies the same records in the same order, so every
// node holds the same image, and a restart rebuilds it from the snapshot plus the log after it.
//
//   __cluster_metadata:  [0 LeaderChange] [1 RegisterBroker 1] [2 RegisterBroker 2] [3 Topic a] ...
//                                           |                   |                    |
//   image:               brokers {1: 127.0.0.1:9092, 2: ...}    topics {a: {0: leader 1, isr [1,2]}}
//
// A snapshot is the image written as the records that would build it again (Kafka's snapshots
// are the same idea: record batches of metadata records), so restore() is just apply() in a loop.
// REAL KAFKA: MetadataImage / MetadataDelta (metadata/src/main/java/org/apache/kafka/image/).
// READ NEXT: controller.hpp - who drives the quorum that feeds this image.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "protocol/metadata_records.hpp"
#include "raft/state_machine.hpp"

namespace minikafka {

class MetadataImage : public raft::StateMachine {
public:
    struct BrokerState {
        RegisterBrokerRecord registration;
        bool fenced = true;
    };
    struct TopicState {
        std::string name;
        std::map<int32_t, PartitionRecord> partitions;
        std::map<std::string, std::string> configs;  // topic config overrides (ConfigRecord)
    };

    void apply(int64_t offset, std::string_view record) override;
    std::string snapshot() const override;
    void restore(std::string_view snapshot) override;

    const std::map<int32_t, BrokerState>& brokers() const { return brokers_; }
    const std::map<Uuid, TopicState>& topics() const { return topics_; }
    int64_t applied_records() const { return applied_records_; }  // data records, snapshot included
    int64_t unreadable_records() const { return unreadable_records_; }

private:
    void apply(const MetadataRecord& record);

    std::map<int32_t, BrokerState> brokers_;
    std::map<Uuid, TopicState> topics_;
    int64_t applied_records_ = 0;
    int64_t unreadable_records_ = 0;
};

}  // namespace minikafka
