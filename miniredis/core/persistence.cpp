// miniredis/core/persistence.cpp
//
// Persistence as the server runs it: loading at start-up, background saves and AOF rewrites, the
// periodic rules (save <seconds> <changes>, auto-aof-rewrite-*), and what happens at SHUTDOWN.
// The formats themselves live in storage/ (snapshot.hpp, aof.hpp); the write + fsync that makes
// each turn's commands durable before their replies leave is core/durability.cpp; the commands
// SAVE / BGSAVE / BGREWRITEAOF are commands/persistence_cmds.cpp.
//
// Start-up order: with appendonly yes and an AOF on disk, the AOF is the truth (its snapshot
// preamble, then the commands after it); otherwise the last snapshot is loaded. With appendonly
// yes and no AOF yet, one is created at once from what was loaded, so that nothing acknowledged
// is ever only in a snapshot that the next start would ignore.
//
// CONCEPT: durability as a policy the user picks, the course notes' "Durability trade-offs" for
// Redis. Two files, two jobs: the snapshot (dump.rdb) is a compact picture of one instant, fast to
// load, but everything after it is lost in a crash; the AOF is every write since, as long as the
// user's appendfsync allows. With both on, a rewrite writes a snapshot as the AOF's first part and
// appends the commands after it, so start-up loads the picture and replays only the tail.
//
//   start ──▶ AOF on and present? replay it (its RDB preamble, then commands)
//         └─▶ else dump.rdb present? load it
//   tick ──▶ save rules met? BGSAVE ──▶ AOF grew by auto-aof-rewrite-percentage? BGREWRITEAOF
// READ NEXT: storage/aof.hpp, storage/snapshot.hpp, storage/background_job.hpp,
//            docs/miniredis/02-persistence-formats.md.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "core/broker.hpp"
#include "core/replication_snapshot.hpp"
#include "log.hpp"
#include "storage/aof_loader.hpp"
#include "storage/snapshot.hpp"

namespace miniredis {

std::string Broker::snapshot_path() const { return (std::filesystem::path(config.dir) / config.dbfilename).string(); }
std::string Broker::aof_path() const { return (std::filesystem::path(config.dir) / config.appendfilename).string(); }

// A rewrite or save killed with the server leaves its temp file behind: the child's
// temp-rewriteaof-bg-<pid>.aof, or write_file_atomically's <name>.tmp-<pid>. Redis removes such a
// file when its child fails or is killed (aofRemoveTempFile, rdbRemoveTempFile), but a killed
// parent never gets to: with a pid in each name, every crash would leave one more. None of them
// is ever read back (only a rename makes one live), so at start they all go, each one logged.
void Broker::remove_stale_temp_files() {
    std::error_code ec;
    const std::string prefixes[] = {"temp-rewriteaof-", config.dbfilename + ".tmp-", config.appendfilename + ".tmp-"};
    for (const auto& entry : std::filesystem::directory_iterator(config.dir, ec)) {
        std::string name = entry.path().filename().string();
        for (const std::string& prefix : prefixes) {
            if (!name.starts_with(prefix) || !entry.is_regular_file(ec)) continue;
            if (std::filesystem::remove(entry.path(), ec))
                mb::log::warn("removed {}, left behind by a rewrite or save that did not finish",
                              entry.path().string());
            break;
        }
    }
}

std::string Broker::load_data() {
    std::error_code ec;
    remove_stale_temp_files();
    if (config.appendonly && std::filesystem::exists(aof_path(), ec)) {
        // Replay through the normal dispatch, as a client that is always authenticated.
        Client replayer;
        replayer.authenticated = true;
        env.loading = true;
        auto result = load_aof(
            aof_path(), databases,
            [&](std::span<const std::string_view> argv, std::string& error) {
                if (!is_command(argv)) {
                    error = fmt::format("unknown command '{}' in the append only file", argv[0]);
                    return false;
                }
                execute(replayer, argv);
                replayer.out.clear();
                return true;
            },
            config.aof_load_truncated);
        env.loading = false;
        pending_writes.clear();
        if (!result.ok) return result.error;
        if (result.truncated)
            mb::log::warn("AOF ended with a torn command ({} bytes): truncated to {} bytes (aof-load-truncated yes)",
                          result.dropped_bytes, result.truncated_at);
        mb::log::info("DB loaded from append only file: {} commands{}", result.commands,
                      result.had_preamble ? " after the snapshot preamble" : "");
    } else if (std::filesystem::exists(snapshot_path(), ec)) {
        std::string bytes, error;
        if (!read_file(snapshot_path(), bytes, error)) return error;
        if (decode_snapshot(bytes, databases, error) == 0)
            return snapshot_path() + ": " + error +
                   "; refusing to start (run 'miniredis --repair' to keep what still decodes, keeping a backup)";
        size_t keys = 0;
        for (Database& db : databases) keys += db.size();
        mb::log::info("DB loaded from snapshot {}: {} keys", snapshot_path(), keys);
    }
    dirty = 0;
    if (config.appendonly) return start_aof();
    return {};
}

// Opens the AOF for appending; if there is none yet, writes one holding the current dataset.
std::string Broker::start_aof() {
    std::error_code ec;
    if (!std::filesystem::exists(aof_path(), ec)) {
        std::string preamble;
        encode_snapshot(databases, clock.now_ms(), preamble, true);
        if (std::string error = write_file_atomically(aof_path(), preamble); !error.empty()) return error;
    }
    return aof.open(aof_path(), config.appendfsync);
}

// --- background jobs ----------------------------------------------------------------------

// BGSAVE: fork; the child serialises its copy-on-write view of the data and exits. `dirty_at_fork`
// remembers how many changes the snapshot covers, so changes made during the save still count
// toward the next one.
bool Broker::start_background_save() {
    std::string path = snapshot_path();
    int64_t now = clock.now_ms();
    dirty_at_fork = dirty;
    AuxFields aux = replication_aux_fields(*this);  // where in the replication history (SAVE does the same)
    int64_t delay_us = config.rdb_key_save_delay;
    bool started = job.start(JobKind::snapshot,
                             [&] { return save_snapshot(databases, now, path, aux, delay_us).empty() ? 0 : 1; });
    if (started) {
        snapshot_child_path = path;  // its temp file is temp_file_path(path, pid): see kill_snapshot_child
        mb::log::info("background saving started by pid {}", job.pid());
    }
    return started;
}

// BGREWRITEAOF: fork; the child writes the dataset as a snapshot preamble to a temp file; the
// parent keeps serving and, from this moment, also collects every logged command in the AOF's
// rewrite buffer. check_background_job() finishes the swap when the child exits.
bool Broker::start_aof_rewrite() {
    rewrite_temp_path =
        (std::filesystem::path(config.dir) / fmt::format("temp-rewriteaof-bg-{}.aof", getpid())).string();
    std::string temp = rewrite_temp_path;
    int64_t now = clock.now_ms();
    aof.start_rewrite_buffer();
    bool started = job.start(JobKind::aof_rewrite, [&] {
        std::string preamble;
        encode_snapshot(databases, now, preamble, true);
        // Not renamed by the child: the parent appends what happened meanwhile, then renames.
        FILE* f = std::fopen(temp.c_str(), "wb");
        if (!f) return 1;
        bool ok = std::fwrite(preamble.data(), 1, preamble.size(), f) == preamble.size() && std::fflush(f) == 0 &&
                  ::fsync(fileno(f)) == 0;
        return std::fclose(f) == 0 && ok ? 0 : 1;
    });
    if (!started) {
        aof.abort_rewrite();
        return false;
    }
    rewrite_scheduled = false;
    mb::log::info("background append only file rewriting started by pid {}", job.pid());
    if (config.trace)
        trace(
            fmt::format("aof rewrite pid={} -> child writes a snapshot to {} -> new writes also go to the rewrite "
                        "buffer",
                        job.pid(), temp));
    return true;
}

// --- a snapshot child that must not finish ---------------------------------------------
//
// A BGSAVE child writes the dataset as it was at its fork, and renames its file over dump.rdb when
// done - seconds or minutes later. That rename is only right if the fork's dataset is still one
// this server may be restarted from. Three events make it wrong, and Redis kills the child for each
// (killRDBChild) before it does anything else:
//
//   FLUSHALL               the user deleted everything: a later rename would bring every key back
//                          at the next restart (flushallCommand; then SAVE if save rules exist,
//                          so dump.rdb is the empty dataset, not the old one)
//   replica loads master   our data is replaced by the master's: a later rename would put our old
//                          keys - keys the master never had - under the master's replication ID
//                          (readSyncBulkPayload, "there is a pending RDB child running")
//   SHUTDOWN               its own synchronous save is the last word; the child must not rename an
//                          older picture over it afterwards (prepareForShutdown/finishShutdown)
//
//   BGSAVE ──fork──▶ child: keys ─▶ dump.rdb.tmp-<pid> ─────────────▶ rename ─▶ dump.rdb  (stale!)
//     │                                      ▲ killed here: no rename, temp file removed
//     └─ FLUSHALL / master's data loaded / SHUTDOWN
//
// "Acknowledged data is never lost within the durability the user chose" cuts both ways: a
// snapshot must describe a dataset the server actually had at some moment its user could see, and
// the file never resurrects what was deleted or was never there. Restarting from dump.rdb must
// give one of the states the server went through, in order - never an older one after a newer.
//
// The kill is synchronous (SIGKILL, then waitpid: BackgroundJob::kill_child): when this returns,
// the child is gone and can rename nothing. Redis sends SIGUSR1 and reaps it later in its cron;
// the outcome is the same, and INFO shows rdb_bgsave_in_progress:0 at once instead of after a tick.
// As in Redis, a child killed on purpose is not a failed save: rdb_last_bgsave_status keeps its
// value, LASTSAVE and the change counter stay as they were (nothing new is on disk), and the line
// Redis logs when it reaps such a child is logged. The half-written temp file is removed (Redis'
// rdbRemoveTempFile) - the killed child cannot, and nobody else would until the next start.
// Replicas that waited for this BGSAVE (a disk-based full resync) are closed: they ask again.
bool Broker::kill_snapshot_child() {
    if (job.running() != JobKind::snapshot) return false;
    std::string temp = temp_file_path(snapshot_child_path, job.pid());
    int sig = job.kill_child();
    ::unlink(temp.c_str());
    // sig 0: it ended by itself a moment ago (not reaped yet). Its result is not counted either,
    // as in newer Redis (bgsave_aborted): the caller has decided that picture is obsolete.
    if (sig != 0)
        mb::log::warn("Background saving terminated by signal {}", sig);
    else
        mb::log::warn("Background saving had already ended: its result is ignored");
    disk_sync_saved(false);
    return true;
}

// The same for an AOF rewrite's child (Redis' killAppendOnlyChild): its temp file goes, and so does
// the rewrite buffer that was waiting to be appended to it.
void Broker::kill_aof_rewrite_child() {
    if (job.running() != JobKind::aof_rewrite) return;
    job.kill_child();
    aof.abort_rewrite();
    ::unlink(rewrite_temp_path.c_str());
}

// SAVE's work, on the server thread, and the bookkeeping a successful snapshot earns: the change
// counter back to 0, LASTSAVE now, rdb_last_bgsave_status ok (Redis' rdbSave does all three).
// On a replica (or a master with a backlog) the file names its place in the replication history:
// restarted from it, the server can continue with +CONTINUE (PSYNC2).
std::string Broker::save_in_foreground() {
    std::string error = save_snapshot(databases, clock.now_ms(), snapshot_path(), replication_aux_fields(*this));
    if (!error.empty()) return error;
    dirty = 0;
    last_save_ms = clock.now_ms();
    last_bgsave_ok = true;
    return {};
}

// FLUSHALL has emptied every database: a running BGSAVE's picture is the old data (killed, see
// above), and with save rules the empty dataset is written at once, as Redis does - so a crash
// right after the FLUSHALL does not restart with the keys the user just deleted. Not while an AOF
// is being replayed: the AOF itself is the record there, and a save per FLUSHALL in it would only
// slow the start down.
void Broker::snapshot_after_flushall() {
    kill_snapshot_child();
    if (config.save.empty() || env.loading) return;
    if (std::string error = save_in_foreground(); !error.empty())
        mb::log::warn("FLUSHALL could not write the empty snapshot: {}", error);
}

void Broker::check_background_job() {
    auto finished = job.poll();
    if (!finished) return;
    auto [kind, ok] = *finished;
    if (kind == JobKind::replica_sync) {
        // A diskless transfer's child, reaped before its pipe was read to the end: the result
        // waits there (finish_snapshot_pipe decides on it; nothing about dump.rdb changes).
        repl.pipe.child_ok = ok;
    } else if (kind == JobKind::snapshot) {
        last_bgsave_ok = ok;
        if (ok) {
            dirty -= std::min(dirty, dirty_at_fork);
            last_save_ms = clock.now_ms();
            mb::log::info("background saving terminated with success");
        } else {
            last_bgsave_try_ms = clock.now_ms();
            mb::log::warn("background saving failed");
        }
        disk_sync_saved(ok);  // replicas waiting for this BGSAVE: the file now, or closed
    } else if (kind == JobKind::aof_rewrite) {
        std::string error = ok ? std::string() : "the rewrite child failed";
        if (ok && aof.is_open()) {
            error = aof.finish_rewrite(rewrite_temp_path);
        } else if (ok) {  // BGREWRITEAOF with appendonly no: the file is written, nothing to swap
            aof.abort_rewrite();
            if (::rename(rewrite_temp_path.c_str(), aof_path().c_str()) != 0) error = "cannot rename the new AOF";
        } else {
            aof.abort_rewrite();
        }
        last_rewrite_ok = error.empty();
        if (error.empty()) {
            mb::log::info("background AOF rewrite finished successfully ({} bytes)", aof.file_size());
            if (config.trace)
                trace(fmt::format("aof rewrite done bytes={} -> rewrite buffer appended, fsync, rename over the AOF",
                                  aof.file_size()));
        } else {
            ::unlink(rewrite_temp_path.c_str());
            mb::log::warn("background AOF rewrite failed: {}", error);
        }
    }
}

void Broker::persistence_tick() {
    check_background_job();
    if (job.running() != JobKind::none) return;
    // Replicas that asked for a disk-based full resync while that child ran go first, as in
    // Redis (checkChildrenDone starts their BGSAVE before the save rules are looked at).
    if (!repl.disk.waiting.empty()) return start_disk_sync_bgsave();
    int64_t now = clock.now_ms();
    if (rewrite_scheduled) {
        start_aof_rewrite();
        return;
    }
    // save <seconds> <changes>: snapshot when enough changed in enough time (retry failures
    // only after 5 s, as Redis, so a full disk is not hammered ten times a second).
    bool retry_ok = last_bgsave_ok || now - last_bgsave_try_ms > 5000;
    for (const SaveRule& rule : config.save) {
        if (retry_ok && dirty >= static_cast<uint64_t>(rule.changes) && now - last_save_ms >= rule.seconds * 1000) {
            mb::log::info("{} changes in {} seconds. Saving...", rule.changes, rule.seconds);
            start_background_save();
            return;
        }
    }
    // auto-aof-rewrite: when the AOF grew by the configured percentage over its size after the
    // last rewrite (and is at least the minimum size).
    if (aof.is_open() && config.auto_aof_rewrite_percentage > 0 &&
        aof.file_size() >= static_cast<uint64_t>(config.auto_aof_rewrite_min_size)) {
        uint64_t base = std::max<uint64_t>(aof.base_size(), 1);
        uint64_t growth = (aof.file_size() - std::min(aof.file_size(), base)) * 100 / base;
        if (growth >= static_cast<uint64_t>(config.auto_aof_rewrite_percentage)) {
            mb::log::info("starting automatic rewriting of AOF on {}% growth", growth);
            start_aof_rewrite();
        }
    }
}

std::string Broker::persistence_info() {
    return fmt::format(
        "loading:{}\r\nasync_loading:{}\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\n"
        "rdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\naof_enabled:{}\r\naof_rewrite_in_progress:{}\r\n"
        "aof_rewrite_scheduled:{}\r\naof_last_bgrewrite_status:{}\r\naof_last_write_status:{}\r\n"
        "aof_current_size:{}\r\naof_base_size:{}\r\naof_fsyncs:{}\r\n",
        // A replica parsing its master's RDB as it arrives (repl-diskless-load): swapdb serves the
        // old data meanwhile (async_loading, Redis 7's name), on-empty-db has none to serve.
        repl.loader && !repl.loader_swapdb ? 1 : 0, repl.loader && repl.loader_swapdb ? 1 : 0, dirty,
        job.running() == JobKind::snapshot || job.running() == JobKind::replica_sync ? 1 : 0, last_save_ms / 1000,
        last_bgsave_ok ? "ok" : "err", aof.is_open() ? 1 : 0, job.running() == JobKind::aof_rewrite ? 1 : 0,
        rewrite_scheduled ? 1 : 0, last_rewrite_ok ? "ok" : "err", aof_write_error.empty() ? "ok" : "err",
        aof.file_size(), aof.base_size(), aof.fsyncs());
}

// SHUTDOWN (and SIGTERM): a child job is killed (its work is about to be redone or not needed),
// the snapshot is written if asked, the AOF is written and fsynced, and only then the wiring stops.
// If the snapshot cannot be written, the server stays up and says so - as Redis does.
bool Broker::prepare_shutdown(bool save) {
    // A BGSAVE that finished after our own save below would rename an older picture over it; a
    // rewrite would swap in an AOF missing what is flushed below. Both die first, temp files and all
    // (see kill_snapshot_child), with the lines Redis logs.
    if (job.running() == JobKind::snapshot) {
        mb::log::warn("There is a child saving an .rdb. Killing it!");
        kill_snapshot_child();
    } else if (job.running() == JobKind::aof_rewrite) {
        mb::log::warn("There is a child rewriting the AOF. Killing it!");
        kill_aof_rewrite_child();
    }
    job.kill_child();        // a diskless transfer's child: its replicas will ask whoever comes next
    disk_sync_saved(false);  // its replicas, if any, would otherwise wait for a file that never comes
    if (save) {
        mb::log::info("Saving the final RDB snapshot before exiting.");
        if (std::string error = save_in_foreground(); !error.empty()) {
            mb::log::error("error trying to save the DB, can't exit: {}", error);
            return false;
        }
        mb::log::info("DB saved on disk");
    }
    aof.close();  // write + fsync whatever is buffered
    shutting_down = true;
    if (hooks) hooks->shutdown();
    return true;
}

void Broker::finish_on_signal() {
    if (shutting_down) return;
    prepare_shutdown(!config.save.empty());
}

void Broker::reconfigure_aof(const Config& old) {
    if (config.appendonly && !old.appendonly) {
        if (std::string error = start_aof(); !error.empty()) mb::log::warn("cannot enable the AOF: {}", error);
        // The file must hold everything, not only what comes next: rewrite it from memory now.
        else if (job.running() == JobKind::none)
            start_aof_rewrite();
        else
            rewrite_scheduled = true;
    } else if (!config.appendonly && old.appendonly) {
        kill_aof_rewrite_child();
        aof.abort_rewrite();
        aof.close();
    } else if (config.appendfsync != old.appendfsync) {
        aof.set_policy(config.appendfsync);
    }
}

}  // namespace miniredis
