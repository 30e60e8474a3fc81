// minikafka/handlers/broker_registration.cpp
//
// CONCEPT: a broker joining the cluster, on the wire. BrokerRegistration (62) and BrokerHeartbeat
// (63) arrive on the controller listener; each is decoded, handed to the controller
// (core/broker_lifecycle.cpp decides, by proposing metadata records), and its answer encoded.
// A node that is not the active controller answers NOT_CONTROLLER, and the broker asks again once
// it knows the new leader - Kafka's brokers do the same.
// READ NEXT: core/broker_lifecycle.cpp.
#include "protocol/broker_registration.hpp"
#include "core/controller.hpp"
#include "handler_table.hpp"

namespace minikafka {

// Both handlers translate and nothing else: whether this node is the active controller, and what
// the answer is, is Controller's business (core/broker_lifecycle.cpp). The default answer is
// NOT_CONTROLLER, for a node that runs no controller at all.
bool handle_broker_registration(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    BrokerRegistrationRequestData request;
    if (!decode_broker_registration_request(body, header.api_version, request)) return false;
    BrokerRegistrationResponseData response;
    response.error_code = kErrorNotController;
    if (broker.controller) response = broker.controller->register_broker(request, controller_clock_ms());
    KafkaWriter out = reply.writer();
    encode_broker_registration_response(out, header.api_version, response);
    return true;
}

bool handle_broker_heartbeat(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    BrokerHeartbeatRequestData request;
    if (!decode_broker_heartbeat_request(body, header.api_version, request)) return false;
    BrokerHeartbeatResponseData response;
    response.error_code = kErrorNotController;
    if (broker.controller) response = broker.controller->broker_heartbeat(request, controller_clock_ms());
    KafkaWriter out = reply.writer();
    encode_broker_heartbeat_response(out, header.api_version, response);
    return true;
}

}  // namespace minikafka
