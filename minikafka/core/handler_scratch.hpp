// minikafka/core/handler_scratch.hpp
//
// CONCEPT: reuse, don't allocate, on the hot path. A Produce (or Fetch) request is decoded into a
// list of partitions and answered from a list of results; allocating both for every request would cost
// a malloc/free pair (or several) per request. Everything runs on the one broker thread and a
// handler finishes one request before the next is decoded, so one set of lists, owned by the
// Broker and handed to the handler, serves every request: once they have grown to the usual
// size, a request allocates nothing.
//
//   Broker::scratch ──► handle_produce: decode into produce_request (clear(), keep capacity)
//                                       fill produce_results, encode them, done
//                                       (a reply that must wait copies what it needs)
//
// The lists are only valid during one handler call: nothing may keep a pointer into them.
// READ NEXT: handlers/produce.cpp and handlers/fetch.cpp (the users), core/broker.hpp (the owner).
#pragma once

#include <vector>

#include "protocol/fetch.hpp"
#include "protocol/produce.hpp"
#include "storage/partition_log.hpp"  // LogSlice

namespace minikafka {

// One Fetch's answer as read from the logs (handlers/fetch.cpp), before it is encoded.
struct FetchResult {
    std::vector<FetchPartitionResult> partitions;
    std::vector<LogSlice> slices;  // slices[i] belongs to partitions[i] (size 0 = no records)
    int64_t bytes = 0;
    bool error = false;  // some partition is answered with an error: answer now, do not long-poll
};

struct HandlerScratch {
    ProduceRequest produce_request;
    std::vector<ProducePartitionResult> produce_results;
    FetchRequest fetch_request;
    FetchResult fetch_result;
};

}  // namespace minikafka
