// miniredis/commands/replication_cmds.cpp
//
// The replication commands: what an operator types (REPLICAOF, ROLE, WAIT, INFO replication) and
// what a replica says to its master during the handshake (REPLCONF, PSYNC, SYNC).
//
// CONCEPT: the commands are thin; the mechanism lives in core/ - replication_master.cpp answers
// PSYNC and counts ACKs, replication_replica.cpp runs the replica's side of the link. Redis
// replication is asynchronous: the master replies to a write before any replica has it, and WAIT
// is the one way a client can ask "how many replicas have my writes now?" - a count, not a
// guarantee of durability (docs/miniredis/07-replication.md, "Asynchronous").
//
//   replica: PING, REPLCONF listening-port / capa, PSYNC <replid> <offset>
//   master : +FULLRESYNC <replid> <offset> + snapshot, or +CONTINUE, then the command stream
//
// READ NEXT: core/replication.hpp (the state), core/replication_master.cpp,
//            docs/miniredis/07-replication.md.
#include <fmt/format.h>

#include <algorithm>

#include "commands/context.hpp"
#include "commands/handlers.hpp"

namespace miniredis {
namespace {

// The address a replica connected from ("127.0.0.1:51234" -> "127.0.0.1"): together with the
// port it announced in REPLCONF listening-port, it is where a failover tool would find it.
std::string_view peer_ip(const Client& client) {
    return std::string_view(client.peer).substr(0, client.peer.rfind(':'));
}

// ROLE's and INFO's name for where the replica's link is.
std::string_view link_state_name(ReplLinkState link) {
    switch (link) {
        case ReplLinkState::connect:
            return "connect";
        case ReplLinkState::connecting:
            return "connecting";
        case ReplLinkState::handshake:
            return "handshake";
        case ReplLinkState::transfer:
            return "sync";
        case ReplLinkState::connected:
            return "connected";
        case ReplLinkState::none:
            break;
    }
    return "none";
}

}  // namespace

// REPLICAOF host port | REPLICAOF NO ONE (SLAVEOF is the old name of the same command).
void cmd_replicaof(CommandContext& ctx) {
    Broker& server = ctx.server;
    if (equals_ignore_case(ctx.arg(1), "no") && equals_ignore_case(ctx.arg(2), "one")) {
        // REPLICAOF NO ONE is the promotion step of a failover: the replica keeps its data, becomes a
        // master, and keeps its replication ID as the "previous" one (replid2), so other replicas of the old
        // master can continue from it with a partial resync (docs/miniredis/07-replication.md).
        server.replicaof_no_one();
        return ctx.reply.ok();
    }
    auto port = ctx.int_arg(2);
    if (!port) return;
    if (*port < 0 || *port > 65535) return ctx.reply.error("ERR Invalid master port");
    // A connection that is itself a replica of ours may not reconfigure us: it would create a loop.
    if (ctx.client.repl_role == ReplRole::replica)
        return ctx.reply.error("ERR Command is not valid when client is a replica.");
    if (server.repl.is_replica() && server.repl.master_host == ctx.arg(1) && server.repl.master_port == *port)
        return ctx.reply.simple("OK Already connected to specified master");
    // The answer is OK at once: connecting, the handshake and the full or partial sync all happen
    // later, in the event loop (core/replication_replica.cpp); ROLE and INFO show their progress.
    server.replicaof(std::string(ctx.arg(1)), static_cast<int>(*port));
    ctx.reply.ok();
}

// REPLCONF <option> <value> ...: what a replica tells its master (listening-port, capa, ACK),
// and GETACK, which a master sends down the stream to ask for an ACK now (for WAIT).
void cmd_replconf(CommandContext& ctx) {
    // REPLCONF comes in option/value pairs; several may share one command.
    if (ctx.argc() % 2 == 0) return ctx.syntax_error();
    Client& client = ctx.client;
    for (size_t i = 1; i + 1 < ctx.argc(); i += 2) {
        std::string_view option = ctx.arg(i);
        if (equals_ignore_case(option, "listening-port")) {
            auto port = ctx.int_arg(i + 1);
            if (!port) return;
            client.repl_listening_port = static_cast<int>(*port);
        } else if (equals_ignore_case(option, "ack")) {
            // No reply: ACKs flow one way, every second, so the master's replies would only pile
            // up unread on the replica's side.
            auto offset = ctx.int_arg(i + 1);
            if (offset && client.repl_role == ReplRole::replica)
                ctx.server.replica_ack(client, static_cast<uint64_t>(std::max<int64_t>(*offset, 0)));
            return;
        } else if (equals_ignore_case(option, "capa")) {
            // eof: it reads the diskless $EOF:<mark> framing (core/replication_master.cpp).
            if (equals_ignore_case(ctx.arg(i + 1), "eof")) client.repl_capa_eof = true;
        } else if (equals_ignore_case(option, "getack")) {
            if (client.repl_role == ReplRole::master) ctx.server.repl.ack_requested = true;
            return;
        } else if (!equals_ignore_case(option, "ip-address") && !equals_ignore_case(option, "rdb-only") &&
                   !equals_ignore_case(option, "rdb-filter-only")) {
            // Any other option is refused. ip-address, rdb-only and rdb-filter-only - which a real
            // redis-server replica or redis-cli --rdb may send - pass with no effect, so their
            // handshake succeeds.
            return ctx.reply.error(fmt::format("ERR Unrecognized REPLCONF option: {}", option.substr(0, 64)));
        }
    }
    ctx.reply.ok();
}

// PSYNC <replid> <offset>: "continue from here if you still have it" - answered +CONTINUE with the
// missing bytes from the backlog, or +FULLRESYNC and a snapshot (core/replication_master.cpp).
// SYNC is the pre-2.8 form, always a full resync with no IDs at all.
void cmd_psync(CommandContext& ctx) { ctx.server.replica_sync(ctx.client, ctx.arg(1), ctx.arg(2), false); }
void cmd_sync(CommandContext& ctx) { ctx.server.replica_sync(ctx.client, "?", "-1", true); }

// WAIT numreplicas timeout: block until that many replicas acknowledged every write made so far
// (or the timeout, in ms, passed; 0 = forever), and answer how many did. It makes the writes
// no more durable on the master: it only tells the client how far they got.
void cmd_wait(CommandContext& ctx) {
    Broker& server = ctx.server;
    if (server.repl.is_replica())
        return ctx.reply.error(
            "ERR WAIT cannot be used with replica instances. Please also note that writes to "
            "replicas are just local and are not propagated.");
    auto replicas = ctx.int_arg(1);
    if (!replicas) return;
    auto timeout = ctx.int_arg(2, "ERR timeout is not an integer or out of range");
    if (!timeout) return;
    if (*timeout < 0) return ctx.reply.error("ERR timeout is negative");
    // "Every write made so far" is the master's current replication offset: a replica that has
    // acknowledged that offset has everything this client wrote before WAIT.
    if (ctx.client.in_multi || server.in_exec)  // inside EXEC nothing may block: answer now
        return ctx.reply.integer(static_cast<int64_t>(server.replicas_acked(server.repl.offset)));
    int64_t deadline = *timeout == 0 ? 0 : ctx.now_ms() + *timeout;
    if (server.wait_for_replicas(ctx.client, *replicas, deadline))
        ctx.reply.integer(static_cast<int64_t>(server.replicas_acked(server.repl.offset)));
    // else: blocked; serve_waiters() or the timeout replies
}

// ROLE: master -> [master, offset, [[ip, port, acked offset] ...]];
//       replica -> [slave, host, port, link state, offset]
// ROLE is what failover tools (Sentinel, client libraries) ask first: one short reply that says
// which side this server is on and how far each side has got.
void cmd_role(CommandContext& ctx) {
    const Replication& repl = ctx.server.repl;
    if (repl.is_replica()) {
        ctx.reply.array(5);
        ctx.reply.bulk("slave");
        ctx.reply.bulk(repl.master_host);
        ctx.reply.integer(repl.master_port);
        ctx.reply.bulk(link_state_name(repl.link));
        // Until the link is up, a replica's offset is meaningless to a failover tool: -1, as Redis says.
        ctx.reply.integer(repl.link == ReplLinkState::connected ? static_cast<int64_t>(repl.offset) : -1);
        return;
    }
    ctx.reply.array(3);
    ctx.reply.bulk("master");
    ctx.reply.integer(static_cast<int64_t>(repl.offset));
    ctx.reply.array(repl.replicas.size());
    for (const Client* replica : repl.replicas) {
        ctx.reply.array(3);
        ctx.reply.bulk(peer_ip(*replica));
        ctx.reply.bulk(std::to_string(replica->repl_listening_port));
        ctx.reply.bulk(std::to_string(replica->repl_ack_offset));
    }
}

// INFO replication, with Redis' field names - the ones monitoring tools and Sentinel parse.
// The replica's part says whether the link is up and how far it got (slave_repl_offset); the
// master's part lists each replica with the offset it last ACKed and the seconds since (lag).
// Both show the backlog's window: repl_backlog_first_byte_offset counts from 1, as Redis does.
std::string replication_info(Broker& server) {
    const Replication& repl = server.repl;
    std::string out;
    auto it = std::back_inserter(out);
    int64_t now = server.clock.now_ms();
    if (repl.is_replica()) {
        bool up = repl.link == ReplLinkState::connected;
        fmt::format_to(it,
                       "role:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\n"
                       "master_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{}\r\n"
                       "slave_repl_offset:{}\r\n",
                       repl.master_host, repl.master_port, up ? "up" : "down",
                       repl.master ? (now - repl.last_io_ms) / 1000 : -1, repl.link == ReplLinkState::transfer ? 1 : 0,
                       repl.offset, repl.offset);
        if (!up) fmt::format_to(it, "master_link_down_since_seconds:{}\r\n", (now - repl.link_down_since_ms) / 1000);
        fmt::format_to(it, "slave_priority:100\r\nslave_read_only:{}\r\nreplica_announced:1\r\n",
                       server.config.replica_read_only ? 1 : 0);
    } else {
        out += "role:master\r\n";
    }
    // Replicas waiting for a diskless transfer to start are listed too, as Redis lists them.
    fmt::format_to(it, "connected_slaves:{}\r\n",
                   repl.replicas.size() + repl.waiting_transfer.size() + repl.disk.waiting.size());
    if (server.config.min_replicas_to_write > 0 && server.config.min_replicas_max_lag > 0)
        fmt::format_to(it, "min_slaves_good_slaves:{}\r\n", server.good_replicas());
    size_t n = 0;
    // send_bulk: a snapshot is still flowing to it (a diskless transfer's pipe, or a disk-based
    // resync's file); wait_bgsave: attached to a BGSAVE for replication that is still running.
    for (const Client* r : repl.replicas) {
        bool saving = std::find(repl.disk.saving.begin(), repl.disk.saving.end(), r) != repl.disk.saving.end();
        const char* state = saving ? "wait_bgsave" : server.receiving_snapshot(*r) ? "send_bulk" : "online";
        fmt::format_to(it, "slave{}:ip={},port={},state={},offset={},lag={}\r\n", n++, peer_ip(*r),
                       r->repl_listening_port, state, r->repl_ack_offset, (now - r->repl_ack_ms) / 1000);
    }
    for (const std::vector<Client*>* waiting : {&repl.waiting_transfer, &repl.disk.waiting})
        for (const Client* r : *waiting)
            fmt::format_to(it, "slave{}:ip={},port={},state=wait_bgsave,offset=0,lag=0\r\n", n++, peer_ip(*r),
                           r->repl_listening_port);
    fmt::format_to(it,
                   "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\n"
                   "master_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\n"
                   "repl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n",
                   repl.replid, repl.replid2, repl.offset, repl.second_offset, repl.backlog.active() ? 1 : 0,
                   server.config.repl_backlog_size, repl.backlog.active() ? repl.backlog.start_offset() + 1 : 0,
                   repl.backlog.histlen());
    return out;
}

}  // namespace miniredis
