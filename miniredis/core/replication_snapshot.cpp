// CONCEPT: a full resync is "send the snapshot file, then the commands since". Which snapshot
// format travels is a storage question; these two functions are the whole interface replication
// needs, the encode/decode pair of storage/snapshot.hpp.
//
// READ NEXT: storage/snapshot.hpp (the bytes), core/replication_replica.cpp.
#include "core/replication_snapshot.hpp"

#include "core/server_state.hpp"
#include "storage/snapshot.hpp"

namespace miniredis {

std::string snapshot_for_replica(ServerState& server) {
    std::string bytes;
    encode_snapshot(server.databases, server.clock.now_ms(), bytes);
    return bytes;
}

std::string load_snapshot_from_master(ServerState& server, std::string_view bytes) {
    server.all_keys_modified(-1);  // WATCHers: everything may have changed
    for (Database& db : server.databases) db.clear();
    std::string error;
    if (decode_snapshot(bytes, server.databases, error) == 0) {
        for (Database& db : server.databases) db.clear();
        return error;
    }
    return {};
}

}  // namespace miniredis
