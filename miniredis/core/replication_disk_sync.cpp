// CONCEPT: a disk-based full resync (`repl-diskless-sync no`) is a BGSAVE with replicas waiting
// for it - exactly as Redis does it. The snapshot is taken by fork(), not by the event loop:
// encoding a million keys takes seconds, and in place nobody else would be served meanwhile. The
// fork's copy-on-write view IS the dataset at one offset of the replication stream, so:
//
//   PSYNC ? -1 ──▶ fork ──▶ +FULLRESYNC <replid> <offset>          (offset = the fork's instant)
//                   │  child: RDB ──▶ dump.rdb.tmp-<pid> ──▶ rename to dump.rdb ──▶ _exit(0)
//                   │  parent, meanwhile: serves everybody; every write after <offset> goes to
//                   │    the backlog and into each waiting replica's repl_held (not sent yet)
//   tick: the child exited ok ──▶ open dump.rdb ──▶ $<size>\r\n
//   each turn the replica's socket drains: the next piece of the file (≤ 512 KB waiting in its
//     output buffer) ──▶ the last piece queued: repl_held behind it, and the stream flows live
//
// Exactly once: a write is either before the fork (in the file) or after it (in repl_held, then
// the stream) - never both, never neither, because the fork happens between two commands.
//
// Sharing, as Redis does (its syncCommand, "CASE 1"): a replica that asks while a BGSAVE for
// replicas runs, with the same history, joins it - same +FULLRESYNC offset, and a copy of what an
// earlier replica of that BGSAVE holds since the fork (Redis' copyReplicaOutputBuffer). A BGSAVE
// that no replica waits for (a user's BGSAVE, a save rule) cannot be joined: nobody kept the
// writes since its fork. Then, as Redis, the replica waits for that child to end and a new BGSAVE
// is forked for it (persistence_tick) - one child at a time.
//
// Why not read the whole file into the replica's buffer at once? A 100 MB file would sit in our
// memory per replica, and a replica that reads slowly would hold it there. One piece at a time,
// topped up as its socket drains (the wiring's flush asks feed_snapshot_file), keeps it bounded.
//
// READ NEXT: core/replication_master.cpp (replica_sync chooses this or the diskless transfer),
// storage/background_job.hpp (the fork), core/persistence.cpp (check_background_job).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/broker.hpp"
#include "core/replication_snapshot.hpp"
#include "log.hpp"
#include "storage/snapshot.hpp"

namespace miniredis {

namespace {

// How much of the file may wait in one replica's output buffer: enough to keep its socket busy
// between two turns, little enough that N replicas of a big dataset cost N × this, not N × file.
constexpr size_t kFileBufferBytes = 512 * 1024;

bool contains(const std::vector<Client*>& list, const Client* client) {
    return std::find(list.begin(), list.end(), client) != list.end();
}

// The fork's instant, told to a replica: +FULLRESYNC (not for the old SYNC, which has no such
// line), and from now on its stream waits in repl_held until the file is sent.
void start_holding(Broker& server, Client& replica, uint64_t offset) {
    if (!replica.repl_old_sync) replica.out.append(fmt::format("+FULLRESYNC {} {}\r\n", server.repl.replid, offset));
    replica.repl_hold_stream = true;
    server.attach_replica(replica);
    server.want_write(replica);
}

}  // namespace

// PSYNC/SYNC that needs a full resync, with repl-diskless-sync no (or a replica without capa eof).
void Broker::disk_sync(Client& client) {
    DiskSync& disk = repl.disk;
    // A BGSAVE for replicas is running: join it if it is in our history. The replica that got
    // there first holds every stream byte since the fork - a copy of them is exactly what this
    // one needs after the same file.
    if (!disk.saving.empty() && disk.replid == repl.replid) {
        const Client& first = *disk.saving.front();
        start_holding(*this, client, disk.offset);
        client.repl_held = first.repl_held;
        disk.saving.push_back(&client);
        mb::log::info("replica {} joins the BGSAVE for replication running since offset {} ({} replicas)", client.peer,
                      disk.offset, disk.saving.size());
        return;
    }
    disk.waiting.push_back(&client);
    if (job.running() == JobKind::none) return start_disk_sync_bgsave();
    // Another child (a user's BGSAVE, an AOF rewrite, a diskless transfer): its picture is not
    // ours to send - nobody kept the writes since it forked. Wait for it (persistence_tick).
    mb::log::info("replica {} waits for the next BGSAVE for replication (a child is busy)", client.peer);
}

// Fork for every replica in `waiting`: the child writes dump.rdb with our (replid, offset) in its
// AUX fields (write_snapshot_for_replica), as a BGSAVE - it is one (INFO rdb_bgsave_in_progress,
// LASTSAVE, the save rules' change counter all see it so).
void Broker::start_disk_sync_bgsave() {
    DiskSync& disk = repl.disk;
    if (disk.waiting.empty() || job.running() != JobKind::none) return;
    std::string path = snapshot_path();
    dirty_at_fork = dirty;
    bool started = job.start(JobKind::snapshot, [&] {
        // The child: its copy-on-write view, encoded and written atomically (temp, fsync, rename).
        std::string bytes = snapshot_for_replica(*this);
        return write_file_atomically(path, bytes).empty() ? 0 : 1;
    });
    if (!started) {
        // Redis closes them too: they come back and ask again.
        mb::log::warn("BGSAVE for replication failed: fork: {}", std::strerror(errno));
        for (Client* replica : disk.waiting) kill_client(*replica);
        disk.waiting.clear();
        return;
    }
    snapshot_child_path = path;
    disk.replid = repl.replid;
    disk.offset = repl.offset;
    // The file says repl-stream-db 0: the next write must name its database (SELECT) in the
    // stream, which starts right after it.
    repl.stream_db = -1;
    for (Client* replica : disk.waiting) {
        start_holding(*this, *replica, disk.offset);
        replica->repl_held.clear();
        disk.saving.push_back(replica);
    }
    disk.waiting.clear();
    mb::log::info("BGSAVE for replication started by pid {}: offset {}, {} replica(s), target {}", job.pid(),
                  disk.offset, disk.saving.size(), config.dbfilename);
}

// The BGSAVE ended (check_background_job reaped it; or it was killed: ok = false). Its replicas
// get the file - each from a descriptor of its own, opened now, before anything can rename
// another file over dump.rdb - or, if it failed, are closed and will ask again.
void Broker::disk_sync_saved(bool ok) {
    std::vector<Client*> replicas = std::move(repl.disk.saving);
    repl.disk.saving.clear();
    for (Client* replica : replicas) {
        int fd = ok ? ::open(snapshot_path().c_str(), O_RDONLY | O_CLOEXEC) : -1;
        struct stat st {};
        if (fd < 0 || ::fstat(fd, &st) != 0) {
            if (ok) mb::log::warn("full resync of replica {}: cannot read {}", replica->peer, snapshot_path());
            if (fd >= 0) ::close(fd);
            kill_client(*replica);
            continue;
        }
        replica->repl_file_fd = fd;
        replica->repl_file_sent = 0;
        replica->repl_file_size = static_cast<uint64_t>(st.st_size);
        replica->out.append(fmt::format("${}\r\n", replica->repl_file_size));
        want_write(*replica);  // the turn's flush sends the length and the first piece
        mb::log::info("replica {} full resync: {} snapshot bytes at offset {} (disk-based, {})", replica->peer,
                      replica->repl_file_size, repl.disk.offset, config.dbfilename);
    }
    if (!ok && !replicas.empty()) mb::log::warn("BGSAVE for replication failed: {} replica(s) closed", replicas.size());
}

// Called by the wiring each time it is about to send to a replica that is being sent a file
// (Redis' sendBulkToSlave, the replica's writable handler): tops its output buffer up to
// kFileBufferBytes with the file's next bytes. A pread of the page cache: the file was just
// written. When the last piece is queued, the stream held since the fork goes right behind it -
// a replica reads exactly <size> bytes of RDB, then commands.
bool Broker::feed_snapshot_file(Client& client) {
    if (client.repl_file_fd < 0 || client.close_after_reply) return false;
    if (client.repl_file_sent < client.repl_file_size && client.out.size() < kFileBufferBytes) {
        size_t want = static_cast<size_t>(
            std::min<uint64_t>(kFileBufferBytes - client.out.size(), client.repl_file_size - client.repl_file_sent));
        std::span<char> space = client.out.prepare(want);
        ssize_t n;
        do {
            n = ::pread(client.repl_file_fd, space.data(), want, static_cast<off_t>(client.repl_file_sent));
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {  // an I/O error, or the file shorter than it was: this replica starts over
            mb::log::warn("full resync of replica {}: reading the snapshot failed at byte {}", client.peer,
                          client.repl_file_sent);
            ::close(client.repl_file_fd);
            client.repl_file_fd = -1;
            kill_client(client);
            return false;
        }
        client.out.commit(static_cast<size_t>(n));
        client.repl_file_sent += static_cast<uint64_t>(n);
    }
    if (client.repl_file_sent < client.repl_file_size) return true;
    ::close(client.repl_file_fd);
    client.repl_file_fd = -1;
    client.repl_hold_stream = false;
    client.out.append(client.repl_held);
    client.repl_held = std::string();
    return false;
}

// Its stream must not go out yet: a disk-based resync before the file's last byte, or a
// diskless one before the end mark.
bool Broker::receiving_snapshot(const Client& client) const {
    return client.repl_file_fd >= 0 || contains(repl.disk.saving, &client) || contains(repl.pipe.replicas, &client);
}

// Replicas that asked and have nothing to read yet - waiting for a transfer to start, or for the
// BGSAVE to end - get a bare newline a second, as Redis sends: their repl-timeout counts silence,
// and both Redis's replica and ours skip newlines before +FULLRESYNC and before $<len>.
void Broker::keep_waiting_replicas_alive() {
    if (clock.now_ms() - repl.waiting_newline_ms < 1000) return;
    repl.waiting_newline_ms = clock.now_ms();
    for (const std::vector<Client*>* list : {&repl.waiting_transfer, &repl.disk.waiting, &repl.disk.saving})
        for (Client* replica : *list) {
            replica->out.append("\n");
            want_write(*replica);
        }
}

}  // namespace miniredis
