// minikafka/handlers/handler_table.hpp
//
// CONCEPT: dispatch. One table line per API: its key, the versions we speak, its handler.
// The same table *is* the ApiVersions answer, so what we advertise is exactly what is
// implemented. A handler decodes its request (protocol/), acts on the broker, and encodes the
// response into the Reply. It returns false when the request cannot be decoded: the session
// then closes the connection, as Kafka does with a request it cannot parse.
//
//   session ─frame─▶ RequestHeader ─▶ dispatch(table) ─▶ handle_xxx(broker, header, body, reply)
//                                                         ├ decode (protocol/)
//                                                         ├ act    (core/, model/, storage/)
//                                                         └ encode into the Reply (now, or deferred)
//
// Why plain function pointers and not virtual classes: a handler has no state of its own (all
// state is the Broker's), and a constexpr table keeps the list readable in one screen.
// READ NEXT: handler_table.cpp (the table), handlers/produce.cpp and handlers/fetch.cpp.
#pragma once

#include <span>

#include "core/broker.hpp"
#include "core/reply.hpp"
#include "protocol/api_versions.hpp"
#include "protocol/request_header.hpp"

namespace minikafka {

using Handler = bool (*)(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply);

struct ApiHandler {
    ApiKey key;
    int16_t min_version;
    int16_t max_version;
    Handler handle;
};

std::span<const ApiHandler> api_handlers();

// What ApiVersions advertises (the table without the function pointers).
std::span<const ApiVersionRange> supported_api_versions();

// The CONTROLLER listener's own table (Kafka's "listeners": ["controller"] in the message
// schemas): the quorum's APIs, a replica's Fetch (v12+), and ApiVersions listing just these.
std::span<const ApiHandler> controller_api_handlers();
std::span<const ApiVersionRange> controller_api_versions();
bool dispatch_controller(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply);

// Runs the handler for `header`; false = close the connection (unknown API, unsupported
// version of anything but ApiVersions, or a request that does not decode).
bool dispatch(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply);

// One function per API, each in its own file under handlers/.
bool handle_api_versions(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_metadata(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_produce(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_fetch(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_list_offsets(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_offsets_for_leader_epoch(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_find_coordinator(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_join_group(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_sync_group(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_heartbeat(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_leave_group(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_list_groups(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_describe_groups(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_offset_commit(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_offset_fetch(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_create_topics(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_delete_topics(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_create_partitions(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_describe_configs(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_alter_configs(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_forwarded_alter_configs(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_incremental_alter_configs(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_forwarded_incremental_alter_configs(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_alter_partition_reassignments(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_forwarded_reassignments(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_list_partition_reassignments(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_delete_groups(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_init_producer_id(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_describe_quorum(Broker&, const RequestHeader&, KafkaReader&, Reply&);
// Vote, BeginQuorumEpoch, EndQuorumEpoch, FetchSnapshot and a replica's Fetch: one handler, since
// each is "decode, hand to the controller, encode its answer" (handlers/quorum.cpp).
bool handle_quorum_request(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_controller_api_versions(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_broker_registration(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_broker_heartbeat(Broker&, const RequestHeader&, KafkaReader&, Reply&);
bool handle_alter_partition(Broker&, const RequestHeader&, KafkaReader&, Reply&);

}  // namespace minikafka
