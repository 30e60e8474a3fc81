// minirabbit/storage/definitions.hpp
//
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
//
// Because of the rename, a torn definitions file cannot happen: any damage is corruption. So the
// file carries a checksum, as its first member (the file stays plain JSON that RabbitMQ's import
// would read; unknown members are ignored):
//
//   {"minirabbit_checksum":"crc32c:1a2b3c4d","rabbit_version":...,"bindings":[...]}
//    '---------- prefix -----------------'  '---------- body, after a '{' ----------'
//
// The CRC32C covers the body as `{` + everything after the prefix, i.e. the JSON the file had
// before the checksum was put in front. A flip anywhere fails the check (or the JSON parse) and
// the broker refuses to start, naming the byte. Files of older versions start with
// {"rabbit_version" and are loaded without a check; the next save adds one.
//
// READ NEXT: definitions.cpp, journal.hpp (the messages, kept apart from the topology).
#pragma once

#include <string>
#include <string_view>

#include "protocol/field_table.hpp"
#include "repair.hpp"

namespace boost::json {
class value;
class object;
}  // namespace boost::json

namespace minirabbit {

class Broker;
struct Policy;

// Builds the JSON document (also served by the admin API as /api/definitions).
std::string definitions_json(const Broker& broker);
// Writes definitions.json atomically; throws std::runtime_error on I/O failure.
void save_definitions(const Broker& broker, const std::string& directory);
// Loads definitions.json if it exists; returns false if there is none (first start).
// Throws std::runtime_error, naming the file and byte, for a file that is corrupt.
// Start-up order matters (main.cpp): definitions first, then the journal. The journal's records
// name queues by store id; only once the durable queues exist again can recovery hand each its
// messages - a record for a queue that is gone is simply dropped.
bool load_definitions(Broker& broker, const std::string& directory);

// Checks a definitions file's text: the JSON document inside when it is intact, else the byte
// offset and what is wrong there.
struct DefinitionsCheck {
    bool ok = false;
    bool has_checksum = false;  // false: a file from an older version (no checksum to check)
    std::string json;           // ok: the document without the checksum
    uint64_t offset = 0;        // !ok: first byte known to be wrong
    std::string problem;        // !ok
};
DefinitionsCheck check_definitions(std::string_view file_text);
// Adds the checksum prefix to a definitions document (what save_definitions writes).
std::string with_checksum(std::string_view json_text);

// `minirabbit --repair`: a corrupt definitions.json whose JSON still parses is kept (backup
// first) and given a fresh checksum - the flipped byte may now sit in a name, so the report says
// to compare; one that does not parse is left for a person (restore the backup or fix by hand).
RepairOutcome repair_definitions(const std::string& directory);
// Loads a definitions document (same shape) into the broker: used by load and POST /api/definitions.
void apply_definitions(Broker& broker, const std::string& json_text);

// Field tables <-> JSON (queue arguments, binding arguments; the admin API shows them too).
boost::json::value field_table_to_json(const amqp::FieldTable& table);
amqp::FieldTable field_table_from_json(const boost::json::value& value);

// Policies <-> JSON, in the shape of /api/policies and of the definitions' "policies" list.
// policy_from_json throws std::invalid_argument for a policy Policy::make refuses.
boost::json::object policy_to_json(std::string_view vhost, const Policy& policy);
Policy policy_from_json(std::string name, const boost::json::object& body);

}  // namespace minirabbit
