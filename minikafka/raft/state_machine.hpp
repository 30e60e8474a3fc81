// minikafka/raft/state_machine.hpp
//
// CONCEPT: what a replicated log is for. Raft only agrees on an ORDER of opaque records; the
// meaning lives in a deterministic state machine that every replica feeds the same committed
// records, in the same order, and so every replica reaches the same state.
//
//   log:      [0 LeaderChange][1 "topic a"][2 "broker 2 up"][3 "partition a-0 leader 2"] ...
//                                                         ^ high watermark (committed below)
//   apply():                  1 "topic a", 2 "broker 2 up"      (control records are skipped)
//
// For the KRaft controller the records will be metadata records (TopicRecord, PartitionRecord,
// RegisterBrokerRecord, ...) and the state machine the cluster's metadata image; for this library
// they are bytes. Nothing uncommitted is ever applied, so nothing applied is ever taken back.
// A snapshot is the state machine's image at an applied offset; with it the log prefix can be
// dropped, and a replica that has fallen behind the leader's log start is restored from it.
// REAL KAFKA: RaftClient.Listener - handleCommit(batch), handleLoadSnapshot(reader).
// READ NEXT: replica.hpp - the Raft replica that decides what is committed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace minikafka::raft {

class StateMachine {
public:
    virtual ~StateMachine() = default;
    // A committed data record, in offset order, each exactly once per replica lifetime.
    virtual void apply(int64_t offset, std::string_view record) = 0;
    // The state as of everything applied so far, as bytes (for a snapshot).
    virtual std::string snapshot() const = 0;
    // Replaces the state with a snapshot's: what a restarted replica, or a follower that
    // fetched a snapshot, starts from.
    virtual void restore(std::string_view snapshot) = 0;
};

}  // namespace minikafka::raft
