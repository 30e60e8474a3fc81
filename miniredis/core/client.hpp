// miniredis/core/client.hpp
//
// Client: everything the server knows about one connection, apart from its socket.
//
// CONCEPT: Redis is a single thread serving many clients, so per-connection state cannot live on a
// stack: it lives here (Redis' `client` struct) - the bytes received but not parsed yet, the
// replies not sent yet, the selected database, the protocol version (2 or 3), and the modes a
// connection can be in: inside MULTI, WATCHing keys, subscribed to channels, blocked in BLPOP.
// The socket itself belongs to the wiring (server.cpp), so everything here can be driven by tests
// without any networking.
//
// READ NEXT: client.cpp, core/output_limits.cpp (when out grows too big), commands/connection.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "byte_buffer.hpp"
#include "model/stream_id.hpp"
#include "protocol/resp_parser.hpp"

namespace miniredis {

// Back-pressure: a client with this many reply bytes unsent is neither read from nor has its
// buffered commands run until they drain (server.cpp, dispatch.cpp), so a client that pipelines
// without reading holds at most this much plus one reply.
inline constexpr size_t kOutputPauseBytes = 4 * 1024 * 1024;

// A command queued by MULTI: its arguments, owned (the input buffer moves on).
using OwnedArgs = std::vector<std::string>;

// What a client blocked in BLPOP/BRPOP/BLMOVE, BZPOPMIN/BZMPOP or XREAD/XREADGROUP is waiting
// for (see commands/blocking.cpp): the kind says which type of key can serve it.
enum class BlockKind : uint8_t { list, zset, stream, replicas };

struct BlockedState {
    bool active = false;
    BlockKind kind = BlockKind::list;
    int db = 0;
    std::vector<std::string> keys;
    int64_t deadline_ms = 0;  // Unix ms; 0 = wait forever
    bool pop_left = true;     // BLPOP / BLMOVE LEFT ...
    std::string target;       // BLMOVE/BRPOPLPUSH destination ("" for BLPOP/BRPOP)
    bool push_left = false;   // BLMOVE ... LEFT
    int64_t count = 0;        // 0 = single pop (no count argument)
    bool mpop = false;        // BLMPOP/BZMPOP: reply [key, [elements]]
    bool pop_max = false;     // BZPOPMAX / BZMPOP ... MAX
    // XREAD/XREADGROUP: per key, the ID the entries must be above (max() = ">": the group's
    // last delivered ID at the time of serving), and the group's names.
    std::vector<StreamID> stream_ids;
    std::string group, consumer;
    bool noack = false;
    // WAIT numreplicas timeout: enough replicas must have acknowledged `wait_offset`.
    int64_t wait_replicas = 0;
    uint64_t wait_offset = 0;
};

// What a connection is to replication (core/replication.hpp): an ordinary client, one of our
// replicas (it sent PSYNC/SYNC), or our own link to our master.
enum class ReplRole : uint8_t { none, replica, master };

struct Client {
    uint64_t id = 0;
    std::string name;   // CLIENT SETNAME
    std::string peer;   // "127.0.0.1:51234" (CLIENT LIST addr=)
    std::string local;  // "127.0.0.1:6379" (laddr=)
    int db = 0;         // SELECT
    int protocol = 2;   // HELLO 3 switches replies to RESP3
    bool authenticated = false;
    int64_t created_ms = 0;
    int64_t last_interaction_ms = 0;
    std::string_view last_command = "NULL";  // points into the static command table

    mb::ByteBuffer in;   // received, not parsed yet (Redis' querybuf)
    mb::ByteBuffer out;  // replies not written yet (Redis' reply buffer)
    resp::RequestParser parser;

    bool close_after_reply = false;  // QUIT, protocol error, CLIENT KILL
    bool write_pending = false;      // already on Broker::pending_writes
    bool closed = false;
    int64_t soft_limit_since_ms = 0;  // over its soft output limit since (0 = under it)
    void* connection = nullptr;       // the wiring's object for this client (opaque here)
    int fd = -1;                      // its socket descriptor, set by the wiring (CLIENT LIST fd=)
    bool monitor = false;             // MONITOR: receives every command; only QUIT/RESET leave the mode

    // MULTI ... EXEC
    bool in_multi = false;
    bool multi_error = false;  // a command failed to queue: EXEC answers EXECABORT
    std::vector<OwnedArgs> queued;
    bool queued_denyoom = false;  // a queued command may grow memory (EXEC checks maxmemory)

    // WATCH: (db, key) pairs; `watch_dirty` once one of them changed
    struct Watched {
        int db;
        std::string key;
        bool expired_at_watch;  // watching an already expired key: its deletion is not a change
    };
    std::vector<Watched> watched;
    bool watch_dirty = false;

    // Pub/Sub
    std::unordered_set<std::string> channels;
    std::unordered_set<std::string> patterns;
    size_t subscriptions() const { return channels.size() + patterns.size(); }

    BlockedState blocked;

    // Replication: a replica's listening port and the offset it last acknowledged (REPLCONF).
    ReplRole repl_role = ReplRole::none;
    int repl_listening_port = 0;
    uint64_t repl_ack_offset = 0;
    int64_t repl_ack_ms = 0;
    bool repl_capa_eof = false;  // REPLCONF capa eof: it can read a diskless $EOF:<mark> transfer
    bool repl_old_sync = false;  // it asked with SYNC, not PSYNC: no +FULLRESYNC line (redis-cli --replica)
    // After a diskless transfer the stream waits here until the replica's first REPLCONF ACK: a
    // Redis replica reading up to the end mark may swallow bytes that follow it in the same read.
    // (A disk-based full resync holds it too, from the BGSAVE's fork until the file is sent.)
    bool repl_hold_stream = false;
    std::string repl_held;
    // A disk-based full resync sending the BGSAVE's file: opened once the child finished (a later
    // rename over dump.rdb cannot change what this replica gets), read a piece at a time as its
    // socket drains (core/replication_disk_sync.cpp, feed_snapshot_file). -1: not sending one.
    int repl_file_fd = -1;
    uint64_t repl_file_sent = 0;
    uint64_t repl_file_size = 0;
};

// One line of CLIENT LIST for this client (core/client.cpp); `now` in Unix ms.
std::string client_info_line(const Client& client, int64_t now);

}  // namespace miniredis
