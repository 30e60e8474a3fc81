// miniredis/core/client.cpp
//
// CLIENT LIST's line for one client: the whole per-connection state of client.hpp, in the words
// monitoring tools parse (redis-cli, redis_exporter). Also what the log names when the server
// closes a client on its own (output buffer limits).
//
// CONCEPT: see client.hpp. CLIENT LIST is an interface other programs parse, so its field names and
// order follow Redis exactly (id=, addr=, laddr=, fd=, name=, age=, idle=, flags=, db=, ...): a
// redis_exporter or a redis-cli script pointed at miniredis works unchanged.
// READ NEXT: commands/connection.cpp (CLIENT LIST, CLIENT KILL).
#include <fmt/format.h>

#include "core/client.hpp"

namespace miniredis {

// One line of CLIENT LIST, with Redis' field names (monitoring tools parse them). Flags: N none,
// x in MULTI, P subscribed, b blocked, c closing after this reply, O in MONITOR mode, S one of our
// replicas, M our master's link.
std::string client_info_line(const Client& c, int64_t now) {
    std::string flags;
    if (c.in_multi) flags += 'x';
    if (c.subscriptions() > 0) flags += 'P';
    if (c.blocked.active) flags += 'b';
    if (c.close_after_reply) flags += 'c';
    if (c.monitor) flags += 'O';
    if (c.repl_role == ReplRole::replica) flags += 'S';
    if (c.repl_role == ReplRole::master) flags += 'M';
    if (flags.empty()) flags.push_back('N');
    return fmt::format(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} "
        "qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={} rbp=0 obl={} oll=0 omem={} tot-mem={} events=r "
        "cmd={} user=default redir=-1 resp={}",
        c.id, c.peer, c.local, c.fd, c.name, (now - c.created_ms) / 1000, (now - c.last_interaction_ms) / 1000, flags,
        c.db, c.channels.size(), c.patterns.size(), c.in_multi ? static_cast<int64_t>(c.queued.size()) : -1,
        c.in.size(), c.in.capacity() - c.in.size(), c.in.capacity(), c.out.size(), c.out.capacity(),
        c.in.capacity() + c.out.capacity(), c.last_command, c.protocol);
}

}  // namespace miniredis
