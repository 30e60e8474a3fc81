// minikafka/raft/messages.cpp - names of the quorum's messages, for traces and failure reports.
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
