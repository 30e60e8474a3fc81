// minikafka/raft/messages.cpp - names of the quorum's messages, for traces and failure reports.
//
// CONCEPT: the messages a KRaft quorum exchanges (messages.hpp), named after the Kafka APIs they
// stand for, so that a trace or a failed simulation reads like Kafka's own logs.
// READ NEXT: messages.hpp (the structs), replica.cpp (who sends and handles them).
#include "messages.hpp"

namespace minikafka::raft {

const char* message_name(const Message& message) {
    // The order of this table is the order of the alternatives in `Message`.
    static constexpr const char* kNames[] = {
        "Vote",
        "VoteResponse",
        "BeginQuorumEpoch",
        "BeginQuorumEpochResponse",
        "EndQuorumEpoch",
        "EndQuorumEpochResponse",
        "Fetch",
        "FetchResponse",
        "FetchSnapshot",
        "FetchSnapshotResponse",
    };
    static_assert(std::size(kNames) == std::variant_size_v<Message>);
    return kNames[message.index()];
}

}  // namespace minikafka::raft
