// Replication: the state a server keeps about its place in a master/replica pair (Redis'
// replication fields of `struct redisServer`). The code is split by role:
//
//   core/replication_master.cpp    a master: PSYNC answers, the stream to replicas, ACKs, WAIT
//   core/replication_replica.cpp   a replica: REPLICAOF, the handshake, loading, REPLCONF ACK
//   core/replication_backlog.hpp   the ring a partial resync is served from
//   core/replication_snapshot.cpp  the snapshot of a full resync (one function per side)
//   core/replication_disk_sync.cpp a disk-based full resync: BGSAVE, then the file, then the stream
//   commands/replication_cmds.cpp  REPLICAOF/SLAVEOF, REPLCONF, PSYNC/SYNC, ROLE, WAIT
//
// CONCEPT: a replication ID names a history of the dataset, and an offset a position in it. The
// pair (replid, offset) is all a replica needs to say where it is: "PSYNC <replid> <offset>". A
// promoted replica starts a new history (new replid) but remembers the old one as replid2, up to
// the offset where they part (second_offset): its own replicas, who still know the old ID, can
// then continue with it without a full resync (PSYNC2).
//
// READ NEXT: core/replication_master.cpp (what happens to every write), then
// core/replication_replica.cpp (the other end).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "byte_buffer.hpp"
#include "core/replication_backlog.hpp"
#include "storage/rdb_loader.hpp"

namespace miniredis {

struct Client;

// A handshake or transfer silent this long is given up (Redis' repl-timeout, 60 s).
inline constexpr int64_t kReplTimeoutMs = 60'000;

// The replica's side of the link, in the order it goes through it (Redis' repl_state).
enum class ReplLinkState : uint8_t {
    none,        // not a replica
    connect,     // waiting for the next attempt (once a second, from the tick)
    connecting,  // the non-blocking connect() is under way
    handshake,   // PING, AUTH, REPLCONF, PSYNC: one request, one reply, in turn
    transfer,    // +FULLRESYNC: reading the $<len> (or diskless $EOF:<mark>) snapshot
    connected,   // streaming: every command the master sends is executed
};

// Where the handshake is: the step whose reply we are waiting for.
enum class HandshakeStep : uint8_t { ping, auth, port, capa, psync };

// A diskless full resync under way (core/replication_master.cpp): a forked child encodes the RDB
// into a pipe; the parent reads it as the replicas' sockets drain and appends it to their output
// buffers (Redis' rdb_pipe_*). The child's copy-on-write view is the dataset at the offset of
// +FULLRESYNC; the writes made meanwhile wait in each replica's repl_held, after the snapshot.
struct SnapshotPipe {
    int fd = -1;                    // the pipe's read end (non-blocking); -1: no transfer
    std::vector<Client*> replicas;  // receiving this snapshot (also in Replication::replicas)
    std::string mark;               // the 40 bytes that end the $EOF:<mark> transfer
    bool paused = false;            // a replica's buffer is full: not reading the pipe for now
    std::optional<bool> child_ok;   // the tick reaped the child before the pipe's end was read
    uint64_t bytes = 0;             // RDB bytes forwarded so far (the log line at the end)
    std::string chunk;              // one read's bytes, reused
    bool active() const { return fd >= 0; }
};

// Disk-based full resyncs (core/replication_disk_sync.cpp), Redis' WAIT_BGSAVE_START and
// WAIT_BGSAVE_END states. A replica that asked while another child ran waits in `waiting` (nothing
// sent yet); at the fork of a BGSAVE for replicas they get +FULLRESYNC <replid> <offset> and move
// to `saving`, their stream held in repl_held from that instant; when the child has written the
// file, each is sent it from its own descriptor (Client::repl_file_fd), then the held stream.
struct DiskSync {
    std::vector<Client*> waiting;  // for the next BGSAVE (not in Replication::replicas yet)
    std::vector<Client*> saving;   // attached to the BGSAVE running now (also in replicas)
    std::string replid;            // the history and offset that BGSAVE was forked at:
    uint64_t offset = 0;           // a replica arriving with the same start point joins it
};

struct Replication {
    // --- identity and position (both roles) ----------------------------------------------
    std::string replid;                          // 40 hex characters
    std::string replid2 = std::string(40, '0');  // the history we came from
    uint64_t offset = 0;                         // master_repl_offset
    int64_t second_offset = -1;                  // replid2 valid up to here
    ReplBacklog backlog;

    // --- master side ---------------------------------------------------------------------
    std::vector<Client*> replicas;  // PSYNC/SYNC clients, in the order they arrived
    // Diskless full resyncs waiting to start (repl-diskless-sync-delay): one transfer serves them
    // all. Not in `replicas` yet: nothing is sent to them, not even +FULLRESYNC (Redis'
    // wait_bgsave state).
    std::vector<Client*> waiting_transfer;
    SnapshotPipe pipe;  // the transfer under way (one at a time: one child at a time)
    DiskSync disk;      // disk-based full resyncs: waiting for a BGSAVE, or for the one running
    int64_t waiting_since_ms = 0;
    int64_t waiting_newline_ms = 0;  // the last keep-alive newline sent to them
    int stream_db = -1;              // the database the stream last SELECTed (-1: send SELECT)
    mb::ByteBuffer scratch;          // one command, encoded once for all replicas + the backlog
    std::vector<Client*> waiting;    // clients blocked in WAIT
    uint64_t sync_full = 0, sync_partial_ok = 0, sync_partial_err = 0;  // INFO stats

    // --- replica side --------------------------------------------------------------------
    int listening_port = 0;   // our own port, as the wiring bound it (--port 0 picks one)
    std::string master_host;  // "" = we are a master
    int master_port = 0;
    ReplLinkState link = ReplLinkState::none;
    HandshakeStep step = HandshakeStep::ping;
    Client* master = nullptr;    // the connection to the master (once connected)
    int64_t transfer_left = -1;  // snapshot bytes still expected (-1: reading the $<len> line)
    std::string transfer;        // the snapshot, as it arrives
    std::string eof_mark;        // diskless transfer ($EOF:<40 bytes>): the bytes that end it
    // repl-diskless-load: the transfer parsed as it arrives, into fresh databases (null: the
    // bytes are kept in `transfer` and loaded at the end).
    std::unique_ptr<RdbStreamLoader> loader;
    bool loader_swapdb = false;  // ... with the old dataset still served (INFO async_loading)
    uint64_t load_bytes = 0;     // fed to the loader so far
    int64_t link_down_since_ms = 0;
    int64_t last_io_ms = 0;      // master_last_io_seconds_ago
    bool ack_requested = false;  // REPLCONF GETACK arrived: answer after the command
    bool psync_known = false;    // our (replid, offset) may be in the master's history
    int master_db = 0;           // the stream's database when the link was lost
    int64_t next_connect_ms = 0;
    int64_t last_ack_ms = 0;
    bool is_replica() const { return !master_host.empty(); }
};

// A fresh random 40-character replication ID (Redis' changeReplicationId).
std::string new_replication_id();

}  // namespace miniredis
