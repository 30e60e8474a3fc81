// AlterPartition (API 56) on the CONTROLLER listener: a partition leader asks for a new ISR
// (protocol/alter_partition.hpp); the active controller checks and commits it
// (core/topic_control.cpp, Controller::alter_partition).
#include "protocol/alter_partition.hpp"
#include "core/controller.hpp"
#include "handler_table.hpp"

namespace minikafka {

bool handle_alter_partition(Broker& broker, const RequestHeader&, KafkaReader& body, Reply& reply) {
    AlterPartitionRequestData request;
    if (!decode_alter_partition_request(body, request)) return false;
    AlterPartitionResponseData response;
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
