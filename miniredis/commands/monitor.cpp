// miniredis/commands/monitor.cpp
//
// MONITOR: the command that turns a connection into an audience (see core/monitor.hpp for the
// line format and who is shown what).
//
// CONCEPT: a connection has modes (MULTI, subscribed, blocked - see core/client.hpp); MONITOR
// adds one more. Entering it is just a flag and a place in Broker::monitors; all the work
// happens on the other side, where every command is fed to the list.
//
//   client A: MONITOR            -> +OK, then one line per command anyone runs
//   client B: SET k v            -> A receives +1701234567.123456 [0 127.0.0.1:51234] "SET" "k" "v"
//
// The mode ends with the connection (QUIT, or the client going away) or with RESET
// (connection.cpp). Meanwhile the monitor may PING or SUBSCRIBE, but not touch keys (dispatch.cpp).
//
// READ NEXT: core/monitor.cpp (feeding the monitors), core/output_limits.cpp (when a monitor
// stops reading).
#include "commands/context.hpp"
#include "commands/handlers.hpp"

namespace miniredis {

void cmd_monitor(CommandContext& ctx) {
    Client& c = ctx.client;
    if (c.monitor) return;  // already one: Redis ignores the repeat, without a reply
    // Inside MULTI it is queued like anything else, and refused when EXEC runs it: a transaction
    // must not turn into an endless stream.
    if (ctx.server.in_exec) return ctx.reply.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    // From here on the connection only listens: every command anyone runs is copied into its output
    // buffer, which is why a slow MONITOR client costs memory and is cut off by the output limits -
    // and why Redis' own advice is never to leave MONITOR running on a busy production server.
    c.monitor = true;
    ctx.server.monitors.push_back(&c);
    ctx.reply.ok();
}

}  // namespace miniredis
