// CONCEPT: durable definitions - the broker's topology on disk. Durable exchanges, durable queues,
// the bindings between durable things, and the vhosts, users and permissions are written to
// definitions.json whenever one of them changes, in the JSON shape of RabbitMQ's definitions export
// (`rabbitmqctl export_definitions`), so the file reads like RabbitMQ's:
//
//   {"vhosts": [{"name": "/"}],
//    "users": [{"name": "guest", "password_hash": "...", "hashing_algorithm": "rabbit_password_hashing_sha256",
//               "tags": ["administrator"]}],
//    "permissions": [{"user": "guest", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}],
//    "exchanges": [{"name": "tasks", "vhost": "/", "type": "topic", "durable": true, ...}],
//    "queues": [{"name": "emails", "vhost": "/", "durable": true, "arguments": {...},
//                "minirabbit_store_id": 7}],           <- links the queue to its journal records
//    "bindings": [{"source": "tasks", "vhost": "/", "destination": "emails",
//                  "destination_type": "queue", "routing_key": "email.*", "arguments": {}}]}
//
// It is rewritten whole and atomically: write definitions.json.tmp, fsync, rename over the old
// file, fsync the directory. A crash leaves the old version or the new one, never half of each.
// Definitions change rarely (declares, not publishes), so a whole rewrite is cheap enough.
#pragma once

#include <string>

#include "protocol/field_table.hpp"

namespace boost::json {
class value;
}

namespace rabbit {

class Broker;

// Builds the JSON document (also served by the admin API as /api/definitions).
std::string definitions_json(const Broker& broker);
// Writes definitions.json atomically; throws std::runtime_error on I/O failure.
void save_definitions(const Broker& broker, const std::string& directory);
// Loads definitions.json if it exists; returns false if there is none (first start).
// Throws std::runtime_error for a file that cannot be parsed.
bool load_definitions(Broker& broker, const std::string& directory);
// Loads a definitions document (same shape) into the broker: used by load and POST /api/definitions.
void apply_definitions(Broker& broker, const std::string& json_text);

// Field tables <-> JSON (queue arguments, binding arguments; the admin API shows them too).
boost::json::value field_table_to_json(const amqp::FieldTable& table);
amqp::FieldTable field_table_from_json(const boost::json::value& value);

}  // namespace rabbit
