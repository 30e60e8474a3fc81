// miniredis/commands/persistence_cmds.cpp
//
// SAVE, BGSAVE, BGREWRITEAOF: the persistence commands. Each asks the server state to do the work
// (core/persistence.cpp) and answers as redis-server does, including the errors when a background
// job is already running.
//
// CONCEPT: the user's handle on durability. SAVE writes the snapshot on the server thread (every
// client waits); BGSAVE forks, and the child writes while the parent keeps serving, thanks to the
// kernel's copy-on-write pages; BGREWRITEAOF compacts the log the same way. The work itself is in
// core/persistence.cpp and storage/; this file only parses and answers.
// READ NEXT: core/persistence.cpp, docs/miniredis/02-persistence-formats.md.
#include <fmt/format.h>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "log.hpp"

namespace miniredis {

// SAVE: the whole dataset written on the server thread - simple and consistent (no other command
// runs meanwhile), and the server answers nobody until it is done. Meant for shutdown scripts and
// tests, not for a busy server; refused while a BGSAVE child is writing the same file.
void cmd_save(CommandContext& ctx) {
    Broker& s = ctx.server;
    // A diskless full resync's child is an RDB child too (Redis' child_type RDB): same answer.
    if (s.job.running() == JobKind::snapshot || s.job.running() == JobKind::replica_sync)
        return ctx.reply.error("ERR Background save already in progress");
    // The write and its bookkeeping (the change counter the "save <seconds> <changes>" rules look
    // at back to 0, LASTSAVE's time) are the server's: FLUSHALL and SHUTDOWN save the same way.
    if (std::string error = s.save_in_foreground(); !error.empty()) {
        mb::log::warn("SAVE failed: {}", error);
        return ctx.reply.error("ERR " + error);
    }
    ctx.reply.ok();
}

// BGSAVE [SCHEDULE]: the snapshot in a forked child; the reply comes at once, and LASTSAVE /
// INFO persistence say when it finished. Only one child at a time: during an AOF rewrite a plain
// BGSAVE is an error, BGSAVE SCHEDULE queues it instead.
void cmd_bgsave(CommandContext& ctx) {
    bool schedule = ctx.argc() == 2 && equals_ignore_case(ctx.arg(1), "SCHEDULE");
    if (ctx.argc() > 2 || (ctx.argc() == 2 && !schedule)) return ctx.syntax_error();
    Broker& s = ctx.server;
    // A diskless full resync's child is an RDB child too (Redis' child_type RDB): same answer.
    if (s.job.running() == JobKind::snapshot || s.job.running() == JobKind::replica_sync)
        return ctx.reply.error("ERR Background save already in progress");
    if (s.job.running() == JobKind::aof_rewrite) {
        if (!schedule)
            return ctx.reply.error(
                "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to "
                "schedule a BGSAVE whenever possible.");
        s.dirty = std::max<uint64_t>(s.dirty, 1);  // the save rules will pick it up once the child is done
        return ctx.reply.simple("Background saving scheduled");
    }
    // The fork itself is the cost to know about: copy-on-write means the child shares every page,
    // but each page the parent writes while the child saves is copied - a write-heavy server may
    // need up to twice its memory during a BGSAVE, which is why Redis warns about overcommit.
    if (!s.start_background_save()) return ctx.reply.error("ERR fork failed");
    ctx.reply.simple("Background saving started");
}

// BGREWRITEAOF: compact the log - a child writes today's data as an RDB preamble, and the commands
// that ran meanwhile follow it as RESP (docs/miniredis/02-persistence-formats.md, "Rewrite"). While
// another child runs it is scheduled rather than refused, as in Redis: compaction may wait a
// little, but should not need the operator to retry.
void cmd_bgrewriteaof(CommandContext& ctx) {
    Broker& s = ctx.server;
    if (s.job.running() == JobKind::aof_rewrite)
        return ctx.reply.error("ERR Background append only file rewriting already in progress");
    if (s.job.running() != JobKind::none) {
        s.rewrite_scheduled = true;
        return ctx.reply.simple("Background append only file rewriting scheduled");
    }
    if (!s.start_aof_rewrite()) return ctx.reply.error("ERR Can't execute an AOF background rewriting");
    ctx.reply.simple("Background append only file rewriting started");
}

}  // namespace miniredis
