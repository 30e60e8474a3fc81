// The master's side of replication: one stream of write commands, sent to every replica and kept
// in the backlog; PSYNC decides whether a replica can continue in that stream or needs a snapshot.
//
// CONCEPT: the replication stream IS the AOF's stream. Every write reaches Broker::propagate
// (core/durability.cpp) once, already in the form that replays the same way (SET EX -> SET PXAT,
// BLPOP -> LPOP, an expired key -> DEL); propagate hands it to the AOF buffer and to
// feed_replicas() below. Here it is RESP-encoded once into a reused buffer, with a SELECT in
// front when the database changes, and that one byte string is appended to the backlog ring and
// to each online replica's output buffer - the same buffer replies go through, sent by the same
// non-blocking send at the end of the turn.
//
//   replica                                master
//   PING  ------------------------------->  +PONG
//   REPLCONF listening-port 6380 -------->  +OK
//   REPLCONF capa eof capa psync2 ------->  +OK
//   PSYNC <replid> <offset+1> ----------->  in the backlog?  +CONTINUE <replid> + the missed bytes
//                                           otherwise:       +FULLRESYNC <replid> <offset>
//                                             diskless (capa eof):  $EOF:<mark>\r\n<snapshot><mark>
//                                             disk-based:           $<len>\r\n<snapshot bytes>
//   <------------------------------------  the stream: *3\r\n$3\r\nSET\r\n... (forever)
//   REPLCONF ACK <offset>  (every second) ->  (no reply: updates the replica's lag and offset)
//
// Asynchronous: the client that wrote gets its +OK at the end of the turn whether or not any
// replica has the write - that is what makes it fast, and why a failover can lose acknowledged
// writes. WAIT is the one synchronous tool: it blocks its client until N replicas ACKed.
//
// min-replicas-to-write turns the ACKs into a guard on the write path: too few replicas heard from
// within min-replicas-max-lag, and writes are refused (good_replicas, enough_good_replicas).
//
// A replica that does not read cannot stall us: its output buffer grows and the
// client-output-buffer-limit of class `replica` (core/output_limits.cpp) closes it; it will come
// back with PSYNC and, if the backlog still has its offset, continue.
//
// READ NEXT: core/replication_replica.cpp (the other end), core/replication_backlog.hpp.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>

#include "core/broker.hpp"
#include "core/replication_snapshot.hpp"
#include "log.hpp"
#include "protocol/reply.hpp"
#include "storage/aof.hpp"
#include "storage/rdb_writer.hpp"
#include "storage/snapshot.hpp"

namespace miniredis {

std::string new_replication_id() {
    std::random_device device;
    std::mt19937_64 random(static_cast<uint64_t>(device()) << 32 ^ device());
    std::string id;
    for (int i = 0; i < 40; ++i) id += "0123456789abcdef"[random() % 16];
    return id;
}

// Hot path: once per propagated write, only when a backlog exists (a replica has connected once).
// Nothing is allocated once the scratch buffer, the ring and the replicas' buffers have grown.
void Broker::feed_replicas(int db, std::span<const std::string_view> argv) {
    // A replica passes on its master's bytes verbatim instead (master_command_done), so that its
    // offsets stay the master's offsets: its own replicas can then switch to it with PSYNC.
    if (repl.is_replica() || !repl.backlog.active()) return;
    repl.scratch.clear();
    if (db != repl.stream_db) {
        char digits[12];
        auto end = std::to_chars(digits, digits + sizeof digits, db).ptr;
        std::string_view select[] = {"SELECT", std::string_view(digits, static_cast<size_t>(end - digits))};
        encode_command(repl.scratch, select);
        repl.stream_db = db;
    }
    encode_command(repl.scratch, argv);
    write_replication_stream(repl.scratch.readable());
}

void Broker::write_replication_stream(std::string_view bytes) {
    repl.offset += bytes.size();
    repl.backlog.append(bytes);
    for (Client* replica : repl.replicas) {
        // Just after a diskless transfer, until its first ACK: kept aside (see replica_ack).
        if (replica->repl_hold_stream)
            replica->repl_held.append(bytes);
        else
            replica->out.append(bytes);
        want_write(*replica);
    }
}

// PSYNC <replid> <offset> (sync = false) or the old SYNC (sync = true: always a full resync, and
// no +FULLRESYNC line - the snapshot comes straight away).
void Broker::replica_sync(Client& client, std::string_view replid, std::string_view offset_text, bool sync) {
    Reply reply(client.out, client.protocol);
    want_write(client);
    if (client.repl_role == ReplRole::replica) return;  // already one: ignore, as Redis does
    if (repl.is_replica() && repl.link != ReplLinkState::connected)
        return reply.error("NOMASTERLINK Can't SYNC while not connected with my master");
    // The offset a replica sends is the first byte it wants (its own offset + 1).
    int64_t wanted = -1;
    std::from_chars(offset_text.data(), offset_text.data() + offset_text.size(), wanted);

    // Partial resync: same history (or the one we came from, up to where we parted), and the
    // bytes it misses still in the ring.
    bool same_history =
        replid == repl.replid || (replid == repl.replid2 && wanted >= 1 && wanted <= repl.second_offset);
    if (!sync && same_history && wanted >= 1 && repl.backlog.contains(static_cast<uint64_t>(wanted - 1))) {
        ++repl.sync_partial_ok;
        client.out.append(fmt::format("+CONTINUE {}\r\n", repl.replid));
        repl.backlog.copy_from(static_cast<uint64_t>(wanted - 1), client.out);
        attach_replica(client);
        mb::log::info("replica {} continues at offset {} (partial resync)", client.peer, wanted);
        return;
    }
    if (!sync && replid != "?") ++repl.sync_partial_err;  // it asked to continue and could not
    ++repl.sync_full;
    // The backlog starts with the first replica: from this offset on, a reconnect can continue.
    if (!repl.backlog.active()) repl.backlog.reset(static_cast<size_t>(config.repl_backlog_size), repl.offset);
    client.repl_role = ReplRole::replica;  // from here on its buffer is bounded as a replica's
    client.repl_old_sync = sync;
    if (config.repl_diskless_sync && client.repl_capa_eof) {
        // Diskless: wait a little for more replicas to share the transfer (nothing is sent until
        // it starts, not even +FULLRESYNC - its offset is the one at the start).
        if (repl.waiting_transfer.empty()) repl.waiting_since_ms = clock.now_ms();
        repl.waiting_transfer.push_back(&client);
        mb::log::info("replica {} waits for a diskless full resync ({} waiting, delay {} s)", client.peer,
                      repl.waiting_transfer.size(), config.repl_diskless_sync_delay);
        if (diskless_transfer_due()) start_diskless_transfer();
        return;
    }
    // Disk-based: a BGSAVE writes dump.rdb in a forked child while we serve; the file goes out
    // when it is done, then the writes made meanwhile (core/replication_disk_sync.cpp).
    disk_sync(client);
}

// repl-diskless-sync-delay has passed since the first replica began waiting, or
// repl-diskless-sync-max-replicas are waiting (Redis' shouldStartChildForReplication).
// Not while another child runs (a BGSAVE, an AOF rewrite, the previous transfer): one at a time;
// the replicas wait, with their keep-alive newlines, until it is done (Redis does the same).
bool Broker::diskless_transfer_due() const {
    if (repl.waiting_transfer.empty() || job.running() != JobKind::none || repl.pipe.active()) return false;
    auto waiting = static_cast<int64_t>(repl.waiting_transfer.size());
    return clock.now_ms() - repl.waiting_since_ms >= config.repl_diskless_sync_delay * 1000 ||
           (config.repl_diskless_sync_max_replicas > 0 && waiting >= config.repl_diskless_sync_max_replicas);
}

namespace {

// How much of the snapshot may wait in one replica's output buffer. Past it the pipe is not read:
// the child then fills the pipe and blocks in write() - the bytes wait in the child's frozen
// copy, not in our memory. A few hundred KB keep the socket busy between two turns.
constexpr size_t kSnapshotBufferBytes = 512 * 1024;
constexpr size_t kSnapshotReadBytes = 256 * 1024;  // one read() of the pipe
}  // namespace

// A diskless full resync for every replica waiting: one snapshot, encoded once, framed
//   +FULLRESYNC <replid> <offset>\r\n $EOF:<40 random hex characters>\r\n <RDB bytes> <the same 40>
//
// CONCEPT: the snapshot streams. Encoding a million keys takes seconds; done in place, no client
// is served meanwhile and not one byte leaves before the last key is encoded. So, as Redis does,
// a forked child encodes - on its copy-on-write view, which is exactly the dataset at <offset>,
// whatever the parent does next - and writes the RDB into a pipe. The parent goes on serving and,
// each turn, moves what the pipe holds into the replicas' output buffers, as fast as their
// sockets drain (snapshot_pipe_readable, snapshot_pipe_flow):
//
//   child: write_rdb ──▶ [pipe, 1 MB] ──▶ parent: read ──▶ replica.out (≤ 512 KB) ──▶ socket
//                    blocks when full        stops reading while a replica's buffer is full
//
//   writes meanwhile:  propagate ──▶ backlog + replica.repl_held   (after the snapshot, once)
//
// The replicas join `repl.replicas` now, their stream held (repl_hold_stream): every write from
// this instant on is past <offset>, so it is in none of the snapshot's bytes and reaches them
// once, after the mark, with their first ACK. Encoding, sending and the replica's reading overlap,
// and the master's clients never wait for the encoder. (Why not encode in slices between turns,
// in this process? A key written before the walk reaches it would be in the snapshot with the
// write applied AND in the stream: an INCR counted twice. Copy-on-write for free is fork's gift.)
void Broker::start_diskless_transfer() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) {
        mb::log::warn("diskless full resync: cannot create a pipe: {}", std::strerror(errno));
        return;  // the replicas keep waiting; the tick tries again
    }
    // Bigger than the default 64 KB: fewer switches between the child and us. Best effort.
    ::fcntl(fds[1], F_SETPIPE_SZ, 1024 * 1024);
    std::string mark = new_replication_id();  // 40 random hex characters, as Redis' eofmark
    bool started = job.start(JobKind::replica_sync, [&] {
        ::close(fds[0]);
        // The child's end: the RDB writer's 64 KB chunks, written into the pipe. write() blocks
        // when the pipe is full - the parent reads only as fast as the replicas take it. If the
        // parent gave up on the transfer (every replica gone), it closed its end: EPIPE, and the
        // child gives up too.
        FdSink sink(fds[1]);
        write_snapshot_for_replica(*this, sink);
        return sink.error() == 0 ? 0 : 1;
    });
    ::close(fds[1]);  // the child's now: the pipe ends when the child closes it (exits)
    if (!started) {
        ::close(fds[0]);
        mb::log::warn("diskless full resync: fork failed");
        return;
    }
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    SnapshotPipe& pipe = repl.pipe;
    pipe.fd = fds[0];
    pipe.mark = std::move(mark);
    pipe.paused = false;
    pipe.child_ok.reset();
    pipe.bytes = 0;
    pipe.replicas = std::move(repl.waiting_transfer);
    repl.waiting_transfer.clear();
    std::string fullresync = fmt::format("+FULLRESYNC {} {}\r\n", repl.replid, repl.offset);
    repl.stream_db = -1;  // the replicas start in database 0: name the database of the next write
    for (Client* replica : pipe.replicas) {
        if (!replica->repl_old_sync) replica->out.append(fullresync);
        replica->out.append(fmt::format("$EOF:{}\r\n", pipe.mark));
        // A Redis replica reads up to the end mark in big chunks: stream bytes right behind it
        // would be taken for RDB bytes. So, as a Redis master does, the stream waits for the
        // first ACK - and meanwhile it cannot mix with the snapshot's bytes either.
        replica->repl_hold_stream = true;
        attach_replica(*replica);
        want_write(*replica);
    }
    mb::log::info("diskless full resync started by pid {}: offset {}, {} replica(s)", job.pid(), repl.offset,
                  pipe.replicas.size());
    if (hooks) hooks->watch_snapshot_pipe(pipe.fd, true);
}

// The pipe has bytes (or its end): move them into every receiving replica's output buffer, while
// none holds more than kSnapshotBufferBytes. The turn's send() takes them out.
void Broker::snapshot_pipe_readable() {
    SnapshotPipe& pipe = repl.pipe;
    while (pipe.active()) {
        for (Client* replica : pipe.replicas)
            if (replica->out.size() >= kSnapshotBufferBytes) return snapshot_pipe_flow();
        pipe.chunk.resize(kSnapshotReadBytes);
        ssize_t n = ::read(pipe.fd, pipe.chunk.data(), pipe.chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;  // the child is still encoding: epoll says when
        if (n <= 0) return finish_snapshot_pipe(n == 0);
        std::string_view bytes(pipe.chunk.data(), static_cast<size_t>(n));
        pipe.bytes += bytes.size();
        for (Client* replica : pipe.replicas) {
            replica->out.append(bytes);
            want_write(*replica);
        }
    }
}

// After each turn's sends (the wiring calls it): read the pipe only while every receiving replica
// has room. A replica that does not read thus holds back the transfer - the others' too, as in
// Redis - but never our memory; its output buffer limit and repl-timeout still apply.
void Broker::snapshot_pipe_flow() {
    SnapshotPipe& pipe = repl.pipe;
    if (!pipe.active()) return;
    bool room = std::all_of(pipe.replicas.begin(), pipe.replicas.end(),
                            [](const Client* r) { return r->out.size() < kSnapshotBufferBytes; });
    if (room == !pipe.paused) return;
    pipe.paused = !room;
    if (hooks) hooks->watch_snapshot_pipe(pipe.fd, room);
}

// The end of the pipe (complete: the child closed it; otherwise a read error or every replica
// gone). Success is the child's exit status: only then does the mark go out - a replica that got
// a truncated RDB without the mark is closed instead, and comes back for another full resync.
void Broker::finish_snapshot_pipe(bool complete) {
    SnapshotPipe& pipe = repl.pipe;
    if (!pipe.active()) return;
    if (hooks) hooks->watch_snapshot_pipe(-1, false);
    ::close(pipe.fd);
    pipe.fd = -1;
    bool ok = false;
    if (!complete || pipe.replicas.empty()) {
        if (job.running() == JobKind::replica_sync) job.kill_child();
    } else {
        ok = pipe.child_ok ? *pipe.child_ok : job.wait();
    }
    std::vector<Client*> replicas = std::move(pipe.replicas);
    pipe.replicas.clear();
    pipe.chunk = std::string();
    for (Client* replica : replicas) {
        if (ok) {
            replica->out.append(pipe.mark);
            want_write(*replica);
        } else {
            kill_client(*replica);
        }
    }
    if (ok)
        mb::log::info("diskless full resync: {} snapshot bytes sent to {} replica(s)", pipe.bytes, replicas.size());
    else
        mb::log::warn("diskless full resync failed ({} bytes sent)", pipe.bytes);
}

void Broker::attach_replica(Client& client) {
    client.repl_role = ReplRole::replica;
    client.repl_ack_ms = clock.now_ms();
    repl.replicas.push_back(&client);
}

void Broker::forget_replica(Client& client) {
    std::erase(repl.replicas, &client);
    std::erase(repl.waiting_transfer, &client);
    std::erase(repl.disk.waiting, &client);
    std::erase(repl.disk.saving, &client);  // its BGSAVE goes on: it is dump.rdb, and others may wait
    if (client.repl_file_fd >= 0) ::close(client.repl_file_fd);
    client.repl_file_fd = -1;
    // The last replica of a diskless transfer gone: nobody wants the child's bytes any more.
    if (repl.pipe.active() && std::erase(repl.pipe.replicas, &client) > 0 && repl.pipe.replicas.empty())
        finish_snapshot_pipe(false);
    serve_waiters();  // one replica fewer cannot satisfy a WAIT, but keeps the bookkeeping honest
}

void Broker::replica_ack(Client& client, uint64_t offset) {
    client.repl_ack_offset = std::max(client.repl_ack_offset, offset);
    client.repl_ack_ms = clock.now_ms();
    // Its first ACK after a diskless transfer: the stream may go - but never into the middle of
    // a snapshot still being sent (a replica ACKs only after loading; this one did not).
    if (client.repl_hold_stream && !receiving_snapshot(client)) {
        client.repl_hold_stream = false;
        client.out.append(client.repl_held);
        client.repl_held = std::string();
        want_write(client);
    }
    if (!repl.waiting.empty()) serve_waiters();
}

size_t Broker::replicas_acked(uint64_t offset) const {
    return static_cast<size_t>(std::count_if(repl.replicas.begin(), repl.replicas.end(),
                                             [offset](const Client* r) { return r->repl_ack_offset >= offset; }));
}

// min-replicas-max-lag: a replica is "good" when its last REPLCONF ACK (one a second) is at most
// that many whole seconds old - the lag INFO shows. A replica that stopped reading, or hangs,
// stops ACKing and drops out within the lag, even though its connection is still open.
size_t Broker::good_replicas() const {
    int64_t now = clock.now_ms();
    return static_cast<size_t>(std::count_if(repl.replicas.begin(), repl.replicas.end(), [&](const Client* r) {
        return (now - r->repl_ack_ms) / 1000 <= config.min_replicas_max_lag;
    }));
}

// Redis' checkGoodReplicasStatus: either setting at 0 turns the rule off; a replica's writes come
// from its master and are never refused.
bool Broker::enough_good_replicas() const {
    if (config.min_replicas_to_write == 0 || config.min_replicas_max_lag == 0 || repl.is_replica()) return true;
    return static_cast<int64_t>(good_replicas()) >= config.min_replicas_to_write;
}

// WAIT numreplicas timeout: true when it could answer at once; otherwise the client is blocked
// and asks every replica for an ACK now (REPLCONF GETACK * goes into the stream itself).
bool Broker::wait_for_replicas(Client& client, int64_t replicas, int64_t deadline_ms) {
    uint64_t target = repl.offset;
    if (static_cast<int64_t>(replicas_acked(target)) >= replicas) return true;
    client.blocked.active = true;
    client.blocked.kind = BlockKind::replicas;
    client.blocked.deadline_ms = deadline_ms;
    client.blocked.wait_replicas = replicas;
    client.blocked.wait_offset = target;
    block_client(client);
    repl.waiting.push_back(&client);
    std::string_view getack[] = {"REPLCONF", "GETACK", "*"};
    repl.scratch.clear();
    encode_command(repl.scratch, getack);
    if (repl.backlog.active()) write_replication_stream(repl.scratch.readable());
    return false;
}

void Broker::serve_waiters() {
    for (size_t i = 0; i < repl.waiting.size();) {
        Client& waiter = *repl.waiting[i];
        size_t acked = replicas_acked(waiter.blocked.wait_offset);
        if (static_cast<int64_t>(acked) < waiter.blocked.wait_replicas) {
            ++i;
            continue;
        }
        repl.waiting.erase(repl.waiting.begin() + static_cast<std::ptrdiff_t>(i));
        unblock_client(waiter);
        Reply(waiter.out, waiter.protocol).integer(static_cast<int64_t>(acked));
        want_write(waiter);
    }
}

// WAIT's timeout (from expire_blocked_clients): the answer is how many made it in time.
void Broker::wait_timed_out(Client& client) {
    std::erase(repl.waiting, &client);
    Reply(client.out, client.protocol).integer(static_cast<int64_t>(replicas_acked(client.blocked.wait_offset)));
}

}  // namespace miniredis
