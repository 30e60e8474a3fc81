// minikafka/handlers/alter_partition.cpp
//
// CONCEPT: the in-sync replica set (ISR) changes only through the controller. A partition leader
// sees which followers keep up, but it may not decide alone: it asks the active controller
// (AlterPartition, API 56, on the CONTROLLER listener), which checks the leader's epoch and
// commits the new ISR as a metadata record. So every broker - and the next leader after a
// failover - agrees on who may be elected without losing acknowledged data.
//
//   leader ─AlterPartition(isr)─▶ controller ─▶ PartitionChangeRecord in the metadata log ─▶ all brokers
//
// READ NEXT: core/topic_control.cpp (Controller::alter_partition), core/partition_state.hpp,
//            docs/minikafka/05-replication-and-the-controller.md "The high watermark, ... the ISR".
#include "protocol/alter_partition.hpp"
#include "core/controller.hpp"
#include "handler_table.hpp"

namespace minikafka {

bool handle_alter_partition(Broker& broker, const RequestHeader&, KafkaReader& body, Reply& reply) {
    AlterPartitionRequestData request;
    if (!decode_alter_partition_request(body, request)) return false;
    AlterPartitionResponseData response;
    // A broker without a controller (single-node mode) cannot decide; the leader retries
    // elsewhere, as it does when a voter that is not the active controller is asked.
    if (!broker.controller) {
        response.error = ErrorCode::NotController;
    } else {
        response = broker.controller->alter_partition(request, controller_clock_ms());
    }
    KafkaWriter out = reply.writer();
    encode_alter_partition_response(out, response);
    return true;
}

}  // namespace minikafka
