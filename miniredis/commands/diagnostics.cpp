// miniredis/commands/diagnostics.cpp
//
// SLOWLOG and LATENCY: the commands reading what the dispatcher recorded about slow commands
// (core/slowlog.hpp) and latency spikes (core/latency.hpp).
//
// CONCEPT: recording and reading are split on purpose. The recording side sits on the hot path
// and must be nearly free (a comparison per command); the reading side runs when an operator
// asks, so it may format, sort and explain at leisure - LATENCY DOCTOR turns the samples into
// sentences, because at 3 a.m. "fast-command spikes" means more than a table of numbers.
//
//   SLOWLOG GET [count]   newest first: [id, unix time, microseconds, [args...], "ip:port", name]
//   SLOWLOG LEN | RESET
//   LATENCY LATEST        per event: [name, unix time of the latest spike, latest ms, max ms]
//   LATENCY HISTORY ev    [[unix time, ms], ...] oldest first (up to 160)
//   LATENCY RESET [ev..]  how many events were forgotten
//   LATENCY DOCTOR        the same data, as advice
//
// READ NEXT: commands/introspection.cpp (OBJECT, MEMORY, DEBUG), commands/monitor.cpp.
#include <fmt/format.h>

#include <cmath>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// --- SLOWLOG --------------------------------------------------------------------------------

// SLOWLOG GET [count]: the newest entries first (10 by default, -1 for all) - each with its id,
// when, how many microseconds, the arguments and the client, so "who blocked everybody at 10:02?"
// has an answer (docs/miniredis/06-looking-inside.md).
void cmd_slowlog_get(CommandContext& ctx) {
    // The SLOWLOG GET command itself may be slow on a long log and end up in it; that is accepted,
    // as in Redis: the entry is recorded only after this reply was built, so it is never in its own
    // reply. SLOWLOG is flagged admin: the entries hold arguments, which may include user data.
    int64_t count = 10;
    if (ctx.argc() > 3) return ctx.wrong_arity();
    if (ctx.argc() == 3) {
        auto n = parse_int64(ctx.arg(2));
        if (!n || *n < -1) return ctx.reply.error("ERR count should be greater than or equal to -1");
        count = *n;
    }
    const auto& entries = ctx.server.slowlog.entries();
    size_t n = count == -1 ? entries.size() : std::min(entries.size(), static_cast<size_t>(count));
    ctx.reply.array(n);
    for (size_t i = 0; i < n; ++i) {
        const SlowlogEntry& e = entries[i];
        // Redis 4.0+'s six-field entry. The arguments were already shortened when recorded (core/
        // slowlog.hpp: at most 32 arguments of 128 bytes), so the log's memory stays bounded however
        // large the slow command was.
        ctx.reply.array(6);
        ctx.reply.integer(static_cast<int64_t>(e.id));
        ctx.reply.integer(e.unix_time);
        ctx.reply.integer(e.duration_us);
        ctx.reply.array(e.args.size());
        for (const std::string& arg : e.args) ctx.reply.bulk(arg);
        ctx.reply.bulk(e.peer);
        ctx.reply.bulk(e.client_name);
    }
}

// SLOWLOG LEN: entries currently kept - at most slowlog-max-len, the oldest dropped first.
void cmd_slowlog_len(CommandContext& ctx) { ctx.reply.integer(static_cast<int64_t>(ctx.server.slowlog.size())); }

// SLOWLOG RESET: forget every entry (the ids keep counting, so entries seen before stay unique).
void cmd_slowlog_reset(CommandContext& ctx) {
    ctx.server.slowlog.reset();
    ctx.reply.ok();
}

void cmd_slowlog_help(CommandContext& ctx) {
    constexpr std::string_view kLines[] = {
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    };
    ctx.reply.array(std::size(kLines));
    for (auto line : kLines) ctx.reply.simple(line);
}

// --- LATENCY --------------------------------------------------------------------------------

// LATENCY LATEST: one line per event that ever spiked past latency-monitor-threshold ms - its
// name ("command", "fast-command", "aof-fsync-always"...), when it last happened, how long that
// spike was, and the worst spike seen.
// The times are Unix seconds and the durations milliseconds - Redis' units for the latency
// monitor, coarser than SLOWLOG's microseconds on purpose: it is meant to catch spikes a user feels.
void cmd_latency_latest(CommandContext& ctx) {
    const auto& series = ctx.server.latency.series();
    ctx.reply.array(series.size());
    for (const auto& s : series) {
        ctx.reply.array(4);
        ctx.reply.bulk(s.event);
        ctx.reply.integer(s.latest().unix_time);
        ctx.reply.integer(s.latest().latency_ms);
        ctx.reply.integer(s.max_ms);
    }
}

// LATENCY HISTORY event: the kept samples of one event, at most one per second (a second spike in
// the same second keeps the larger one), so a graphing tool can plot them.
void cmd_latency_history(CommandContext& ctx) {
    // An event that never spiked is an empty history, not an error: "no spikes" is a valid answer
    // (LATENCY GRAPH, which has nothing to draw, does answer an error).
    const auto* series = ctx.server.latency.find(ctx.arg(2));
    if (!series) return ctx.reply.array(0);
    auto history = series->history();
    ctx.reply.array(history.size());
    for (const auto& sample : history) {
        ctx.reply.array(2);
        ctx.reply.integer(sample.unix_time);
        ctx.reply.integer(sample.latency_ms);
    }
}

// LATENCY RESET [event ...]: forget all events or the named ones; the reply counts those that
// existed.
void cmd_latency_reset(CommandContext& ctx) {
    if (ctx.argc() == 2) return ctx.reply.integer(static_cast<int64_t>(ctx.server.latency.reset_all()));
    size_t n = 0;
    for (size_t i = 2; i < ctx.argc(); ++i) n += ctx.server.latency.reset(ctx.arg(i));
    ctx.reply.integer(static_cast<int64_t>(n));
}

// What each event usually means, for the doctor's advice.
// The split between "command" and "fast-command" is what makes this advice possible: a slow O(N)
// command is a data problem, a slow O(1) command can only be the machine.
static std::string_view advice_for(std::string_view event) {
    if (event == "command")
        return "slow commands: check SLOWLOG GET, avoid O(N) commands (KEYS, SMEMBERS, LRANGE 0 -1) on big "
               "values; iterate with SCAN, SSCAN, HSCAN.";
    if (event == "fast-command")
        return "O(1) commands were slow: the machine is the problem (swapping, CPU steal, another process), "
               "not the data.";
    if (event.starts_with("aof"))
        return "the disk is slow for the AOF: consider appendfsync everysec, or a faster disk.";
    return "see the Redis latency-monitor documentation.";
}

void cmd_latency_doctor(CommandContext& ctx) {
    // Redis' doctor speaks as HAL 9000 to "Dave" (the memory doctor's patient is "Sam"); the texts are
    // kept because people search for them. Three cases: monitoring off, nothing seen, a report.
    const LatencyMonitor& monitor = ctx.server.latency;
    if (ctx.server.config.latency_monitor_threshold == 0 && monitor.series().empty())
        return ctx.reply.verbatim(
            "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "
            "\"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a "
            "deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n");
    if (monitor.series().empty())
        return ctx.reply.verbatim(
            "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest "
            "bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
    std::string report =
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you "
        "Dave?\n\n";
    int n = 1;
    // Per event: how many spikes, their average and mean deviation, and the average time between
    // them - a regular period points at something periodic (a cron job, a BGSAVE fork).
    for (const auto& s : monitor.series()) {
        auto history = s.history();
        double sum = 0;
        for (const auto& sample : history) sum += static_cast<double>(sample.latency_ms);
        double avg = sum / static_cast<double>(history.size());
        double deviation = 0;
        for (const auto& sample : history) deviation += std::abs(static_cast<double>(sample.latency_ms) - avg);
        deviation /= static_cast<double>(history.size());
        double period = history.size() > 1 ? static_cast<double>(history.back().unix_time - history.front().unix_time) /
                                                 static_cast<double>(history.size() - 1)
                                           : 0;
        report += fmt::format(
            "{}. {}: {} latency spikes (average {:.0f}ms, mean deviation {:.0f}ms, period {:.2f} sec). Worst all time "
            "event {}ms.\n   Likely cause: {}\n\n",
            n++, s.event, history.size(), avg, deviation, period, s.max_ms, advice_for(s.event));
    }
    ctx.reply.verbatim(report);
}

// LATENCY GRAPH event: the history as an ASCII bar chart (newest at the bottom), one row per
// sample - simpler than Redis' sparkline, the same information.
void cmd_latency_graph(CommandContext& ctx) {
    const auto* series = ctx.server.latency.find(ctx.arg(2));
    if (!series) return ctx.reply.error(fmt::format("ERR No samples available for event '{}'", ctx.arg(2)));
    auto history = series->history();
    std::string text = fmt::format("{} - worst {} ms (newest last)\n", series->event, series->max_ms);
    int64_t now = ctx.now_ms() / 1000;
    for (const auto& sample : history) {
        size_t width = series->max_ms ? static_cast<size_t>(40 * sample.latency_ms / series->max_ms) : 0;
        text += fmt::format("{:>6}s ago {:>6} ms |{}\n", now - sample.unix_time, sample.latency_ms,
                            std::string(std::max<size_t>(width, 1), '#'));
    }
    ctx.reply.verbatim(text);
}

void cmd_latency_help(CommandContext& ctx) {
    constexpr std::string_view kLines[] = {
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HELP",
        "    Prints this help.",
    };
    ctx.reply.array(std::size(kLines));
    for (auto line : kLines) ctx.reply.simple(line);
}

}  // namespace miniredis
