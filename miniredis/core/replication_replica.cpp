// The replica's side of replication: connect to the master, introduce ourselves, get a snapshot
// or continue where we stopped, then execute the master's stream as if a client sent it.
//
// CONCEPT: a replica is a client of its master that never stops listening. The connection is an
// outbound socket in the same event loop as every client (server.cpp connects it without
// blocking); once connected it is a Client with repl_role = master, and its bytes come here:
//
//   link:  connect --connect()--> connecting --writable--> handshake --+FULLRESYNC--> transfer
//            ^                                                  |                        |
//            |                                             +CONTINUE            $<len> bytes loaded
//            |                                                  v                        v
//            +------- link lost (tick retries every second) -- connected <---------------+
//
//   handshake   one request, one reply, in turn: PING, AUTH <masterauth>, REPLCONF
//               listening-port, REPLCONF capa eof capa psync2, PSYNC <replid> <offset+1>
//   transfer    "$<len>\r\n" + len bytes of RDB (or $EOF:<mark> framing): the dataset is replaced
//   connected   every complete command runs through process_input, with three differences:
//               no reply goes back (the master does not read them), the replica's read-only
//               rule does not apply to it, and its exact bytes advance our offset and are passed
//               on verbatim to our own backlog and replicas (master_command_done)
//
// Expiry: a read-only replica never deletes an expired key itself - its dataset must stay the
// master's. Readers are told it is gone (model/database.cpp), the master's DEL removes it.
//
// Restart: after a full resync the transferred RDB is also written as our own snapshot file. It
// carries the master's (replid, offset) as AUX fields (core/replication_snapshot.cpp), so a
// replica killed and restarted loads that file and asks PSYNC <replid> <offset+1> - and gets
// +CONTINUE if the master's backlog still reaches back. A later SAVE on the replica writes the
// same three fields with its offset then (replication_aux_fields), as redis-server does: a restart
// from that file continues too.
//
// The transfer comes in one of two framings: `$<len>\r\n<len bytes>` (the master wrote a file
// first, or is miniredis), or - because we announce `capa eof` - the diskless
// `$EOF:<40 random bytes>\r\n<bytes>...<the same 40 bytes>` that redis-server streams straight
// from its forked child while it does not know the length yet (repl-diskless-sync, the default).
//
// repl-diskless-load (swapdb, on-empty-db): instead of keeping the transfer and loading it at the
// end, a loader (storage/rdb_loader.hpp, RdbStreamLoader) parses it read by read into fresh
// databases; the served dataset is replaced only once the file proved complete and sound.
//
// READ NEXT: core/replication_master.cpp, commands/replication_cmds.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "core/broker.hpp"
#include "core/replication_snapshot.hpp"
#include "log.hpp"
#include "storage/aof.hpp"
#include "storage/rdb_loader.hpp"
#include "storage/snapshot.hpp"

namespace miniredis {
namespace {

void send_command(Broker& server, Client& master, std::span<const std::string_view> argv) {
    encode_command(master.out, argv);
    server.want_write(master);
}

}  // namespace

// Start-up, after load_data(): a fresh replication ID, and `replicaof` from the config.
void Broker::replication_start() {
    repl.replid = new_replication_id();
    const std::string& replicaof_text = config.options.text("replicaof");
    if (replicaof_text.empty()) return;
    size_t space = replicaof_text.find(' ');
    int port = 0;
    if (space != std::string::npos) port = std::atoi(replicaof_text.c_str() + space + 1);
    replicaof(replicaof_text.substr(0, space), port);
    // Our snapshot file came from this master at a known offset: offer to continue from there.
    // (An AOF, when enabled, was what we loaded: the snapshot file may be older than it.)
    std::string snapshot, error, id;
    uint64_t offset = 0;
    int stream_db = 0;
    if (config.appendonly || !read_file(snapshot_path(), snapshot, error)) return;
    if (snapshot_history(snapshot, id, offset, stream_db)) {
        repl.replid = id;
        repl.offset = offset;
        repl.master_db = stream_db >= 0 && stream_db < config.databases ? stream_db : 0;  // +CONTINUE goes on there
        repl.psync_known = true;
        mb::log::info("snapshot holds replication {} up to offset {}: will ask to continue", repl.replid, offset);
    }
}

void Broker::update_replica_env() { env.replica = repl.is_replica() && config.replica_read_only; }

// REPLICAOF host port: forget being a master, keep our (replid, offset) - with them we may be
// able to continue in the new master's stream (if it was our replica, it has our history).
void Broker::replicaof(std::string host, int port) {
    if (repl.master) kill_client(*repl.master);
    // Our replicas follow a history that is about to change: let them reconnect and ask again.
    for (Client* replica : repl.replicas) kill_client(*replica);
    for (Client* replica : repl.waiting_transfer) kill_client(*replica);
    repl.waiting_transfer.clear();
    for (Client* replica : repl.disk.waiting) kill_client(*replica);
    repl.disk.waiting.clear();
    repl.master_host = std::move(host);
    repl.master_port = port;
    repl.link = ReplLinkState::connect;
    repl.link_down_since_ms = clock.now_ms();
    repl.next_connect_ms = 0;  // at the next tick
    // A server that kept a backlog has a history others may share: offer it (PSYNC <replid> ...).
    repl.psync_known = repl.backlog.active() || repl.offset > 0;
    update_replica_env();
    mb::log::info("replica of {}:{}, connecting", repl.master_host, repl.master_port);
}

// REPLICAOF NO ONE: promotion. A new history starts here; the old ID stays valid up to this
// offset (replid2), so replicas of our old master can switch to us and continue (PSYNC2).
void Broker::replicaof_no_one() {
    if (!repl.is_replica()) return;
    if (repl.master) kill_client(*repl.master);
    repl.master_host.clear();
    repl.master_port = 0;
    repl.link = ReplLinkState::none;
    repl.replid2 = repl.replid;
    repl.second_offset = static_cast<int64_t>(repl.offset) + 1;
    repl.replid = new_replication_id();
    repl.stream_db = -1;
    if (!repl.backlog.active()) repl.backlog.reset(static_cast<size_t>(config.repl_backlog_size), repl.offset);
    update_replica_env();
    mb::log::info("promoted to master: new replication ID {}, old one valid up to offset {}", repl.replid,
                  repl.second_offset);
}

// The wiring's non-blocking connect() completed: the handshake starts with a PING.
void Broker::master_connected(Client& master) {
    master.authenticated = true;  // what the master sends runs without AUTH on our side
    repl.link = ReplLinkState::handshake;
    repl.step = HandshakeStep::ping;
    repl.last_io_ms = clock.now_ms();
    std::string_view ping[] = {"PING"};
    send_command(*this, master, ping);
}

void Broker::master_link_lost(Client& master) {
    if (repl.master != &master) return;
    repl.master = nullptr;
    repl.master_db = master.db;  // a +CONTINUE resumes the stream in the database it left off
    repl.transfer.clear();
    repl.transfer.shrink_to_fit();
    // A transfer cut off half-way: what was parsed is dropped, the dataset we serve is untouched
    // (swapdb keeps the old one until the new one is complete).
    repl.loader.reset();
    if (!repl.is_replica()) return;
    if (repl.link == ReplLinkState::connected) repl.link_down_since_ms = clock.now_ms();
    repl.link = ReplLinkState::connect;
    repl.next_connect_ms = clock.now_ms() + 1000;
}

// Bytes from the master: handshake replies, the snapshot, or the stream - in that order, possibly
// all in one read.
void Broker::master_input(Client& master) {
    repl.last_io_ms = clock.now_ms();
    auto drop = [&](std::string_view why) {
        mb::log::warn("replication with {}:{}: {}", repl.master_host, repl.master_port, why);
        kill_client(master);
    };
    while (repl.link == ReplLinkState::handshake) {
        // A master waiting to start a diskless transfer (repl-diskless-sync-delay) keeps the link
        // alive with bare newlines before it answers PSYNC: skip them.
        std::string_view in = master.in.readable();
        if (size_t skip = in.find_first_not_of('\n'); skip != 0) {
            master.in.consume(skip == std::string_view::npos ? in.size() : skip);
            in = master.in.readable();
        }
        size_t eol = in.find("\r\n");
        if (eol == std::string_view::npos) return;  // the reply is not complete yet
        std::string line(in.substr(0, eol));
        master.in.consume(eol + 2);
        bool error = line.starts_with('-');
        switch (repl.step) {
            case HandshakeStep::ping:
                // -NOAUTH is fine here: AUTH comes next. Any other error means no master there.
                if (error && !line.starts_with("-NOAUTH")) return drop("PING answered " + line);
                if (!config.masterauth.empty()) {
                    std::string_view auth[] = {"AUTH", config.masterauth};
                    send_command(*this, master, auth);
                    repl.step = HandshakeStep::auth;
                    break;
                }
                [[fallthrough]];
            case HandshakeStep::auth: {
                if (error) return drop("AUTH answered " + line);
                std::string port = std::to_string(repl.listening_port);
                std::string_view replconf[] = {"REPLCONF", "listening-port", port};
                send_command(*this, master, replconf);
                repl.step = HandshakeStep::port;
                break;
            }
            case HandshakeStep::port: {  // an old master may not know REPLCONF: not fatal
                // eof: we read the diskless $EOF:<mark> framing; psync2: we understand
                // +CONTINUE <new replid>. The same line redis-server sends.
                std::string_view capa[] = {"REPLCONF", "capa", "eof", "capa", "psync2"};
                send_command(*this, master, capa);
                repl.step = HandshakeStep::capa;
                break;
            }
            case HandshakeStep::capa: {
                std::string offset = std::to_string(repl.offset + 1);
                std::string_view psync_known[] = {"PSYNC", repl.replid, offset};
                std::string_view psync_fresh[] = {"PSYNC", "?", "-1"};
                send_command(*this, master, repl.psync_known ? psync_known : psync_fresh);
                repl.step = HandshakeStep::psync;
                break;
            }
            case HandshakeStep::psync:
                if (line.starts_with("+FULLRESYNC ")) {
                    // A new history for us: the master's. The snapshot follows.
                    char id[41] = {};
                    unsigned long long offset = 0;
                    if (std::sscanf(line.c_str(), "+FULLRESYNC %40s %llu", id, &offset) != 2)
                        return drop("bad reply " + line);
                    repl.replid = id;
                    repl.replid2 = std::string(40, '0');
                    repl.second_offset = -1;
                    repl.offset = offset;
                    repl.link = ReplLinkState::transfer;
                    repl.transfer_left = -1;
                    mb::log::info("full resync from master: {} at offset {}", repl.replid, offset);
                } else if (line.starts_with("+CONTINUE")) {
                    // Same history: the missed bytes follow, as ordinary stream. A master promoted
                    // meanwhile names its new ID; the old one stays ours up to here.
                    std::string id = line.size() > 10 ? line.substr(10) : repl.replid;
                    if (id != repl.replid) {
                        repl.replid2 = repl.replid;
                        repl.second_offset = static_cast<int64_t>(repl.offset) + 1;
                        repl.replid = id;
                    }
                    master.db = repl.master_db;
                    repl.link = ReplLinkState::connected;
                    if (!repl.backlog.active())
                        repl.backlog.reset(static_cast<size_t>(config.repl_backlog_size), repl.offset);
                    mb::log::info("partial resync from master at offset {}", repl.offset);
                } else {
                    return drop("PSYNC answered " + line);  // -NOMASTERLINK, -LOADING...: retry later
                }
                break;
        }
    }
    // The snapshot: a bulk string, read as it arrives over as many reads as it takes. The event
    // loop keeps serving other clients meanwhile (readers still see the old dataset); only when
    // the last byte is in is the dataset replaced, in one step.
    if (repl.link == ReplLinkState::transfer) {
        if (repl.transfer_left < 0) {
            // Before the length, a master busy preparing the snapshot may send bare newlines.
            std::string_view in = master.in.readable();
            size_t skip = in.find_first_not_of('\n');
            master.in.consume(skip == std::string_view::npos ? in.size() : skip);
            in = master.in.readable();
            size_t eol = in.find("\r\n");
            if (eol == std::string_view::npos) return;
            std::string_view header = in.substr(0, eol);
            int64_t len = -1;
            if (header.starts_with("$EOF:") && header.size() == 5 + 40) {
                repl.eof_mark = std::string(header.substr(5));  // diskless: read until the mark
            } else if (!header.starts_with('$') ||
                       std::from_chars(header.data() + 1, header.data() + header.size(), len).ec != std::errc() ||
                       len < 0) {
                return drop(fmt::format("bad snapshot header '{}'", header.substr(0, 64)));
            } else {
                repl.eof_mark.clear();
            }
            master.in.consume(eol + 2);
            repl.transfer_left = repl.eof_mark.empty() ? len : 0;
            repl.transfer.clear();
            start_diskless_load();
        }
        std::string_view in = master.in.readable();
        // With a loader, bytes are parsed as they come instead of kept: what arrived goes to it,
        // except (with the $EOF framing) the last 40 bytes, which may be the start of the mark.
        auto feed = [&](size_t keep) {
            if (!repl.loader || repl.transfer.size() <= keep) return true;
            size_t n = repl.transfer.size() - keep;
            repl.load_bytes += n;
            bool ok = repl.loader->feed(std::string_view(repl.transfer).substr(0, n));
            repl.transfer.erase(0, n);
            return ok;
        };
        bool more = false;
        if (!repl.eof_mark.empty()) {
            // The mark may arrive split over two reads: look for it from 39 bytes before the new
            // ones. Bytes after it would be the stream (a Redis master sends none before our ACK).
            size_t before = repl.transfer.size();
            repl.transfer.append(in);
            size_t at = repl.transfer.find(repl.eof_mark, before >= 39 ? before - 39 : 0);
            if (at == std::string::npos) {
                master.in.consume(in.size());
                more = true;
            } else {
                master.in.consume(at + repl.eof_mark.size() - before);
                repl.transfer.resize(at);
            }
        } else {
            size_t take = std::min(in.size(), static_cast<size_t>(repl.transfer_left));
            repl.transfer.append(in.substr(0, take));
            master.in.consume(take);
            repl.transfer_left -= static_cast<int64_t>(take);
            more = repl.transfer_left > 0;
        }
        // A corrupt record is found as soon as it arrives, not after the whole transfer.
        if (!feed(more ? repl.eof_mark.size() : 0))
            return drop("the master's snapshot does not load: " + repl.loader->finish().error);
        if (more) return;
        // Our dataset is about to become the master's. A BGSAVE child started before (we were a
        // master, or a replica of another history) would rename our old keys over the file written
        // below - keys the master never had, under the master's replication ID, waiting for the
        // next restart. Killed first, as Redis does (core/persistence.cpp, kill_snapshot_child);
        // so is an AOF rewrite of the old data, which the rewrite below replaces.
        if (job.running() == JobKind::snapshot) {
            mb::log::info(
                "Replica is about to load the RDB file received from the master, but there is a pending RDB child "
                "running. Killing process {} and removing its temp file to avoid any race",
                job.pid());
            kill_snapshot_child();
        }
        kill_aof_rewrite_child();
        AuxFields aux;
        size_t bytes = repl.transfer.size();
        if (repl.loader) {
            if (std::string error = finish_diskless_load(aux); !error.empty())
                return drop("the master's snapshot does not load: " + error);
            bytes = repl.load_bytes;
        } else if (std::string error = load_snapshot_from_master(*this, repl.transfer); !error.empty()) {
            return drop("the master's snapshot does not load: " + error);
        } else {
            aux = rdb_aux_fields(repl.transfer);
        }
        size_t keys = 0;
        for (Database& db : databases) keys += db.size();
        mb::log::info("MASTER <-> REPLICA sync: loaded {} bytes, {} keys ({} transfer{})", bytes, keys,
                      repl.eof_mark.empty() ? "$<len>" : "diskless $EOF:<mark>",
                      repl.loader ? ", parsed as it arrived" : "");
        // The stream goes on in the database the file names (a replica of a replica passes on
        // its master's bytes verbatim, mid-database; a master SELECTs first and says 0).
        std::string id;
        uint64_t at = 0;
        int stream_db = 0;
        snapshot_history(aux, id, at, stream_db);
        master.db = stream_db >= 0 && stream_db < config.databases ? stream_db : 0;
        // Keep it as our snapshot file: its AUX fields name its history (see "Restart" above).
        // A diskless load has no file to keep, as in Redis: a restart needs SAVE's, or a full resync.
        if (!repl.loader) write_file_atomically(snapshot_path(), repl.transfer);
        repl.loader.reset();
        repl.transfer.clear();
        repl.transfer.shrink_to_fit();
        dirty = 0;
        // The AOF described the old dataset: rewrite it from the new one (later, if a child runs).
        if (aof_enabled() && !start_aof_rewrite()) rewrite_scheduled = true;
        repl.link = ReplLinkState::connected;
        repl.psync_known = true;  // a lost link asks PSYNC <replid> <offset+1> from now on
        repl.backlog.reset(static_cast<size_t>(config.repl_backlog_size), repl.offset);
        repl.stream_db = -1;
        // ACK at once: after a diskless transfer a Redis master starts the stream only then.
        send_ack(master);
    }
    // The stream: commands like any client's, run by the same process_input (which calls
    // master_command_done after each one).
    if (repl.link == ReplLinkState::connected) process_input(master);
}

// repl-diskless-load, at the start of a transfer: parse it as it arrives (a loader), or keep the
// bytes and load them at the end (disabled; on-empty-db with data to lose). Redis' reasoning:
// parsing while receiving means the old dataset cannot be the fallback if the transfer fails -
// unless it is kept aside meanwhile (swapdb: twice the memory for a while) or there is none.
void Broker::start_diskless_load() {
    repl.loader.reset();
    repl.load_bytes = 0;
    bool empty = std::all_of(databases.begin(), databases.end(), [](const Database& d) { return d.size() == 0; });
    ReplDisklessLoad mode = config.repl_diskless_load;
    if (mode == ReplDisklessLoad::disabled || (mode == ReplDisklessLoad::on_empty_db && !empty)) return;
    repl.loader = std::make_unique<RdbStreamLoader>(databases);
    repl.loader_swapdb = mode == ReplDisklessLoad::swapdb;
}

// The last byte arrived: the loader checks the end (EOF, checksum); only then is the served
// dataset replaced - in one step, between two commands. Until here readers saw the old one.
std::string Broker::finish_diskless_load(AuxFields& aux) {
    RdbLoadResult loaded = repl.loader->finish();
    if (!loaded.ok) return loaded.error;
    all_keys_modified(-1);  // WATCHers: everything may have changed
    for (Database& db : databases) db.clear();
    repl.loader->commit(databases);
    aux = std::move(loaded.aux);
    return {};
}

// After each command of the master's stream (from process_input): drop its reply, count its
// bytes, pass them on, and answer a REPLCONF GETACK.
void Broker::master_command_done(Client& master, size_t reply_mark, std::string_view bytes) {
    master.out.truncate(reply_mark);
    write_replication_stream(bytes);  // our offset, our backlog, our own replicas: the same bytes
    if (repl.ack_requested) {
        repl.ack_requested = false;
        send_ack(master);
    }
}

// REPLCONF ACK <offset>: "I have applied every byte up to here". The master uses it for INFO's
// offset= and lag=, and to answer WAIT. Written into the master link's output buffer like a
// reply, it leaves with the turn's other writes.
void Broker::send_ack(Client& master) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, repl.offset).ptr;
    std::string_view ack[] = {"REPLCONF", "ACK", std::string_view(digits, static_cast<size_t>(end - digits))};
    send_command(*this, master, ack);
}

// From the tick: (re)connect once a second while the link is down; ACK once a second while up;
// give up on a master silent for repl-timeout during the handshake or the transfer.
void Broker::replication_tick() {
    // Master side: a diskless full resync whose delay has passed starts now; until then the
    // waiting replicas get a newline a second, so that their repl-timeout does not fire.
    if (diskless_transfer_due()) start_diskless_transfer();
    keep_waiting_replicas_alive();  // ... and so do those waiting for a BGSAVE (disk-based)
    if (!repl.is_replica()) return;
    int64_t now = clock.now_ms();
    if (repl.link == ReplLinkState::connect && now >= repl.next_connect_ms) {
        repl.next_connect_ms = now + 1000;
        if (Client* master = hooks ? hooks->connect_to_master(repl.master_host, repl.master_port) : nullptr) {
            repl.master = master;
            master->repl_role = ReplRole::master;
            repl.link = ReplLinkState::connecting;
            repl.last_io_ms = now;
        }
        return;
    }
    if (!repl.master) return;
    if (repl.link != ReplLinkState::connected && now - repl.last_io_ms > kReplTimeoutMs) {
        mb::log::warn("replication: no answer from the master for {} s, retrying", kReplTimeoutMs / 1000);
        kill_client(*repl.master);
        return;
    }
    if (repl.link == ReplLinkState::connected && now - repl.last_ack_ms >= 1000) {
        repl.last_ack_ms = now;
        send_ack(*repl.master);
    }
}

}  // namespace miniredis
