// minikafka/core/topic_creation.hpp
//
// CONCEPT: long work on a single-threaded server is cut into slices, one per turn of the event
// loop. Everything a broker does runs on one thread (no locks in the model); the price is that a
// request which takes a second stops every other client for that second. Creating a topic costs
// a directory and a file per partition - tens of microseconds - so 10,000 partitions in one go
// held the thread for most of a second (8 s while each partition also fsynced its directory):
//
//   one go:     [CreateTopics 10,000 ..............................][Metadata][Produce]
//   in slices:  [5 ms of partitions][Metadata][5 ms][Produce][Fetch][5 ms]...[reply]
//
// The CreateTopics reply is deferred (core/reply.hpp) until the last slice is made; between
// slices the loop serves everyone else, including further requests of the same client.
// CreatePartitions is the same work (a directory and a file per new partition) and is sliced
// the same way; in a cluster, a broker creating the logs of its new replicas from the metadata
// image slices them per turn too (ReplicaManager::apply_image).
// REAL KAFKA: many request-handler threads, so one slow CreateTopics occupies one of them; and
// the controller only writes metadata records - each broker creates the logs as it learns of
// them. Redis has the same problem and the same answer: its incremental rehash and lazy free.
// READ NEXT: storage/log_manager.hpp (begin_topic, build_topic), handlers/admin.cpp (the user).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "storage/log_manager.hpp"

namespace minikafka {

class Broker;

// A turn makes at most kPartitionsPerTurn partitions and stops early once it has taken
// kTurnBudgetMs: a partition costs tens of microseconds on a quiet file system, but ext4 can take
// milliseconds per new inode when many files were deleted recently (it skips their inodes).
constexpr int32_t kPartitionsPerTurn = 100;
constexpr int64_t kTurnBudgetMs = 5;

// Makes the partitions of `topics` (each already accepted by LogManager::begin_topic), a turn's
// worth at a time, yielding with services.run_later(0) in between. `done` gets one
// result per topic, in the same order. When everything fits in the first turn, `done` runs before
// this returns.
void build_topics_in_turns(Broker& broker, std::vector<std::string> topics,
                           std::function<void(std::vector<LogManager::Result>)> done);

// The same for CreatePartitions: the new partitions of `topics` (each already accepted by
// LogManager::begin_partitions), a turn's worth at a time.
void grow_topics_in_turns(Broker& broker, std::vector<std::string> topics,
                          std::function<void(std::vector<LogManager::Result>)> done);

}  // namespace minikafka
