// CONCEPT: a full resync is "send the snapshot file, then the commands since" - and the snapshot
// is Redis's own RDB file, so that a real redis-server can be our replica and we can be its
// replica. The file also says WHERE in which history it was taken, in three AUX fields, exactly
// as Redis writes them:
//
//   REDIS0010  AUX redis-ver ... AUX repl-stream-db 0  AUX repl-id <40 hex>  AUX repl-offset <n>
//              SELECTDB 0 ... keys ...  EOF  crc64
//
// A replica keeps the transferred file as its own dump.rdb; when it restarts, those fields are
// its (replid, offset) - it asks PSYNC <replid> <offset+1> and may continue from the master's
// backlog instead of copying everything again. redis-server does the same with our file.
//
// READ NEXT: storage/rdb_writer.hpp (the bytes), core/replication_replica.cpp.
#include "core/replication_snapshot.hpp"

#include <charconv>

#include "core/server_state.hpp"
#include "model/memory.hpp"
#include "storage/rdb_loader.hpp"
#include "storage/rdb_writer.hpp"

namespace miniredis {

std::string snapshot_for_replica(ServerState& server) {
    std::string bytes;
    RdbOptions options;
    options.now_ms = server.clock.now_ms();
    options.used_mem = used_memory();
    // The stream that follows starts in database 0 (the master sends SELECT before its next
    // write); a Redis replica refuses to reuse the file for PSYNC without this field.
    options.aux.emplace_back("repl-stream-db", "0");
    options.aux.emplace_back("repl-id", server.repl.replid);
    options.aux.emplace_back("repl-offset", std::to_string(server.repl.offset));
    StringSink sink(bytes);
    write_rdb(server.databases, options, sink);
    return bytes;
}

std::string load_snapshot_from_master(ServerState& server, std::string_view bytes) {
    server.all_keys_modified(-1);  // WATCHers: everything may have changed
    for (Database& db : server.databases) db.clear();
    RdbLoadResult loaded = load_rdb(bytes, server.databases);
    if (!loaded.ok) {
        for (Database& db : server.databases) db.clear();
        return loaded.error;
    }
    return {};
}

bool snapshot_history(std::string_view bytes, std::string& replid, uint64_t& offset) {
    bool have_id = false, have_offset = false;
    for (const auto& [key, value] : rdb_aux_fields(bytes)) {
        if (key == "repl-id" && value.size() == 40) {
            replid = value;
            have_id = true;
        } else if (key == "repl-offset") {
            have_offset = std::from_chars(value.data(), value.data() + value.size(), offset).ec == std::errc();
        }
    }
    return have_id && have_offset;
}

}  // namespace miniredis
