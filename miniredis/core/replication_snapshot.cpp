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

#include "core/broker.hpp"
#include "model/memory.hpp"
#include "storage/rdb_loader.hpp"
#include "storage/rdb_writer.hpp"

namespace miniredis {

// The database the stream is in right now: a replica's is its master's (the link's SELECTed
// database, or the one it had when the link was lost); a master's is the last one it SELECTed
// in the stream (-1, nothing yet: the next write names its database, so 0 is safe). A Redis
// replica refuses to reuse a file for PSYNC without this field.
static int stream_database(const Broker& server) {
    const Replication& repl = server.repl;
    if (repl.is_replica()) return repl.master ? repl.master->db : repl.master_db;
    return repl.stream_db < 0 ? 0 : repl.stream_db;
}

AuxFields replication_aux_fields(const Broker& server) {
    const Replication& repl = server.repl;
    // A replica names its master's history once it shared it (connected now, or before the link
    // was lost); a master once a replica made it keep a backlog. Redis' rdbPopulateSaveInfo.
    bool has_history =
        repl.is_replica() ? repl.link == ReplLinkState::connected || repl.psync_known : repl.backlog.active();
    if (!has_history) return {};
    return {{"repl-stream-db", std::to_string(stream_database(server))},
            {"repl-id", repl.replid},
            {"repl-offset", std::to_string(repl.offset)}};
}

void write_snapshot_for_replica(Broker& server, RdbSink& sink) {
    RdbOptions options;
    options.now_ms = server.clock.now_ms();
    options.used_mem = used_memory();
    options.key_save_delay_us = server.config.rdb_key_save_delay;
    // A master's stream that follows starts in database 0 (replica_sync makes it SELECT before
    // its next write); a replica passes its master's bytes on verbatim, so it names the
    // database its master's stream is in.
    options.aux = {{"repl-stream-db", std::to_string(server.repl.is_replica() ? stream_database(server) : 0)},
                   {"repl-id", server.repl.replid},
                   {"repl-offset", std::to_string(server.repl.offset)}};
    write_rdb(server.databases, options, sink);
}

std::string snapshot_for_replica(Broker& server) {
    std::string bytes;
    StringSink sink(bytes);
    write_snapshot_for_replica(server, sink);
    return bytes;
}

std::string load_snapshot_from_master(Broker& server, std::string_view bytes) {
    server.all_keys_modified(-1);  // WATCHers: everything may have changed
    for (Database& db : server.databases) db.clear();
    RdbLoadResult loaded = load_rdb(bytes, server.databases);
    if (!loaded.ok) {
        for (Database& db : server.databases) db.clear();
        return loaded.error;
    }
    return {};
}

bool snapshot_history(std::string_view bytes, std::string& replid, uint64_t& offset, int& stream_db) {
    return snapshot_history(rdb_aux_fields(bytes), replid, offset, stream_db);
}

bool snapshot_history(const AuxFields& aux, std::string& replid, uint64_t& offset, int& stream_db) {
    bool have_id = false, have_offset = false;
    stream_db = 0;
    for (const auto& [key, value] : aux) {
        if (key == "repl-stream-db") std::from_chars(value.data(), value.data() + value.size(), stream_db);
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
