// minikafka/raft/quorum_state.hpp
//
// CONCEPT: the few numbers a Raft voter must never forget - its epoch and whom it voted for in
// it - and the rule that they are on disk BEFORE anyone hears of them.
//
//   voter 3, epoch 6, voted for 1        crash, restart         voter 3 remembers epoch 6 / voted 1
//      | VoteResponse{granted} --> 1                               | Vote{epoch 6, candidate 2}
//      |  (quorum-state synced first)                              |   -> rejected: one vote per epoch
//
// Were the vote granted before it was durable, a crash and restart would let the voter vote
// again in the same epoch, for another candidate: two leaders in one epoch (election safety
// broken). The same holds for the epoch: a voter that forgot it had seen epoch 7 could accept a
// leader of epoch 6 again. So the replica saves the state and only then sends the answer.
// Kafka keeps exactly this in a small file, `quorum-state`, next to the metadata log:
//   {"leaderId":1,"leaderEpoch":6,"votedId":1,"appliedOffset":0,"currentVoters":[...],...}
// Ours has the same fields in `name=value` lines and a CRC32C line, written the crash-safe way
// (temporary file, fsync, rename, fsync the directory): after a crash the file is either the old
// state or the new one, never half of each; a file that does not check out refuses to load.
// READ NEXT: state_machine.hpp - what committed records are for; replica.hpp - who saves this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace minikafka::raft {

struct QuorumState {
    int32_t leader_epoch = 0;  // the highest epoch this voter has seen
    int32_t voted_id = -1;     // whom it voted for in leader_epoch, -1 if nobody (yet)
    int32_t leader_id = -1;    // the leader it knows for leader_epoch, -1 if none
    bool operator==(const QuorumState&) const = default;
};

class QuorumStateStore {
public:
    virtual ~QuorumStateStore() = default;
    virtual std::optional<QuorumState> load() = 0;    // nothing saved yet: nullopt
    virtual void save(const QuorumState& state) = 0;  // durable when it returns
};

// For the simulation: saving is instantly durable, so a crash keeps the last saved state.
class MemoryQuorumStateStore : public QuorumStateStore {
public:
    std::optional<QuorumState> load() override { return state_; }
    void save(const QuorumState& state) override { state_ = state; }

private:
    std::optional<QuorumState> state_;
};

// The `quorum-state` file in a directory. load() throws std::runtime_error naming the file when
// it is corrupt (bad checksum, missing field, garbage): a voter that cannot trust its memory of
// votes must not vote - an operator decides (restore, or wipe the node and let it rejoin).
class FileQuorumStateStore : public QuorumStateStore {
public:
    explicit FileQuorumStateStore(std::string directory);
    std::optional<QuorumState> load() override;
    void save(const QuorumState& state) override;
    const std::string& path() const { return path_; }

private:
    std::string directory_;
    std::string path_;  // <directory>/quorum-state
};

// The file's text, and its parse (nullopt and a reason for anything that does not check out).
std::string encode_quorum_state(const QuorumState& state);
std::optional<QuorumState> decode_quorum_state(const std::string& text, std::string& why);

}  // namespace minikafka::raft
