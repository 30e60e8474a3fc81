// minikafka/core/handler_scratch.hpp
//
// CONCEPT: reuse, don't allocate, on the hot path. A Produce request is decoded into a list of
// partitions and answered from a list of results; allocating both for every request would cost
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
// READ NEXT: handlers/produce.cpp (the user), core/broker.hpp (the owner).
#pragma once

#include <vector>

#include "protocol/produce.hpp"

namespace minikafka {

struct HandlerScratch {
    ProduceRequest produce_request;
    std::vector<ProducePartitionResult> produce_results;
};

}  // namespace minikafka
