// miniredis/core/output_limits.cpp
//
// Output buffer limits: what a client may cost us in replies it has not read yet.
//
// CONCEPT: a Redis server is one thread for everyone, so it must never wait for one client. It
// never does: a reply goes into the client's output buffer and leaves with a non-blocking send;
// what the socket will not take stays in the buffer until the client reads. That moves the
// problem from time to memory - a client that pipelines GETs of a big value and never reads, or a
// subscriber that stopped reading while publishers keep going, makes the buffer grow. Two tools
// bound it, as in Redis:
//
//   back-pressure   (server.cpp) a client with more than 4 MiB unsent is not READ from until it
//                   drains: it cannot ask for more. Enough for clients that ask for their
//                   replies, which is why `normal` clients have no limit by default.
//   output limits   (here) pushes need no request - a PUBLISH from someone else lands in the
//                   subscriber's buffer whether it reads or not - so each class has a ceiling:
//
//        unsent bytes
//          ^
//     hard |- - - - - - - - - - - - - - - - - - - -x  over hard: closed at once
//          |                ____________
//     soft |- - - - - - - -/- - - - - - \- - - - - -   over soft for <soft-seconds> in a row: closed
//          |      ________/              \____         (dipping under soft restarts the clock)
//          +--------------------------------------> time
//
//   client-output-buffer-limit normal 0 0 0 / replica 256mb 64mb 60 / pubsub 32mb 8mb 60
//
// The check runs once per event-loop turn, after the turn's replies were offered to the socket
// (Server::before_sleep): what is left in client.out is exactly what the client has not taken;
// and on every tick (core/tick.cpp), for a client that stays over its soft limit while
// nothing new is sent to it.
// A closed subscriber stops counting in PUBLISH's receiver count from the next command on.
//
// READ NEXT: server.cpp (before_sleep, flush: the non-blocking send and back-pressure),
// docs/miniredis/01-follow-a-set.md ("When a client does not read").
#include "core/broker.hpp"
#include "log.hpp"

namespace miniredis {

bool Broker::output_buffer_limit_reached(Client& client) {
    // A subscriber (RESP2 or RESP3) is a pub/sub client: its replies are mostly pushes.
    // A MONITOR client too: every command anyone runs is pushed at it, asked for or not (Redis
    // counts monitors as normal clients, i.e. unlimited by default; we bound them like subscribers).
    // A replica's buffer holds the replication stream, which grows with every write on the master.
    ClientClass cls = client.repl_role == ReplRole::replica          ? ClientClass::replica
                      : client.subscriptions() > 0 || client.monitor ? ClientClass::pubsub
                                                                     : ClientClass::normal;
    const OutputBufferLimit& limit = config.output_limits[static_cast<int>(cls)];
    // (A replica just after a diskless transfer also holds the stream until its first ACK.)
    auto unsent = static_cast<int64_t>(client.out.size() + client.repl_held.size());
    int64_t now = clock.now_ms();

    bool over_hard = limit.hard > 0 && unsent >= limit.hard;
    bool over_soft = false;
    if (limit.soft > 0 && unsent >= limit.soft) {
        // The soft limit is about staying over it: start the clock the first time, close when
        // it has run for soft_seconds. Redis' checkClientOutputBufferLimits does the same.
        if (client.soft_limit_since_ms == 0) client.soft_limit_since_ms = now;
        over_soft = now - client.soft_limit_since_ms >= limit.soft_seconds * 1000;
    } else {
        client.soft_limit_since_ms = 0;
    }
    if (!over_hard && !over_soft) return false;
    // Redis logs the whole client line so an operator can tell who it was.
    mb::log::warn("client {} closed for overcoming of output buffer limits ({} bytes unsent, {} limit)",
                  client_info_line(client, now), unsent, over_hard ? "hard" : "soft");
    return true;
}

}  // namespace miniredis
