// miniredis/commands/connection.cpp
//
// Connection commands: the conversation with one client - PING, ECHO, HELLO (protocol version),
// AUTH, SELECT, QUIT, RESET - and CLIENT, which looks at and manages the other connections.
//
// CONCEPT: per-connection state, the part of a server that belongs to one client rather than to the
// data: which database is selected, whether it authenticated, which protocol version it speaks
// (HELLO 3 switches to RESP3 for that connection only), its name. It lives in core/client.hpp;
// these commands read and change it. CLIENT LIST/KILL/PAUSE are the operator's view of the same
// struct - RabbitMQ's management UI shows connections for the same reason.
// READ NEXT: core/client.hpp, docs/miniredis/06-looking-inside.md (CLIENT LIST).
#include <fmt/format.h>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// PING [message]: the health check every client pool and load balancer sends. Without a message
// the answer is the simple string PONG; with one it is echoed as a bulk string.
void cmd_ping(CommandContext& ctx) {
    // The table's arity is -1 ("PING and anything"), as Redis' is, so the upper bound is checked
    // here - with the ordinary arity error, which is what a client sending PING a b expects to see.
    if (ctx.argc() > 2) return ctx.wrong_arity();
    // A RESP2 subscriber can only receive arrays, so PING answers in the shape of a message.
    if (ctx.client.protocol == 2 && ctx.client.subscriptions() > 0) {
        ctx.reply.array(2);
        ctx.reply.bulk("pong");
        ctx.reply.bulk(ctx.argc() == 2 ? ctx.arg(1) : "");
        return;
    }
    if (ctx.argc() == 2) return ctx.reply.bulk(ctx.arg(1));
    ctx.reply.simple("PONG");
}

// ECHO: the smallest possible round trip with a payload - what latency tools and tests use to see the
// protocol layer alone, with no keyspace involved.
void cmd_echo(CommandContext& ctx) { ctx.reply.bulk(ctx.arg(1)); }

// SELECT n: 16 separate keyspaces by default, chosen per connection. Handy to keep test data apart
// from real data on one server; Redis Cluster supports only database 0.
void cmd_select(CommandContext& ctx) {
    auto n = parse_int64(ctx.arg(1));
    if (!n) return ctx.reply.error(errors::kNotInteger);
    if (*n < 0 || *n >= static_cast<int64_t>(ctx.server.databases.size())) return ctx.reply.error(errors::kDbIndex);
    // The choice belongs to the connection, not to the server: two clients may work in different
    // databases at once, and the AOF gets a SELECT whenever the database of the logged writes changes.
    ctx.client.db = static_cast<int>(*n);
    ctx.reply.ok();
}

// QUIT: the +OK must reach the client before the socket closes, so the close is only flagged here;
// the wiring closes after the output buffer is written (close_after_reply).
void cmd_quit(CommandContext& ctx) {
    ctx.reply.ok();
    ctx.client.close_after_reply = true;
}

// Authentication: one user, "default", whose password is `requirepass` (Redis 6+ ACLs reduce to
// this when only requirepass is configured). With no password set, any AUTH of "default" passes,
// but the one-argument form is an error - it usually means a misconfigured client.
// Note the plain == below: Redis compares passwords in time independent of where they first differ
// (time_independent_strcmp), so response times leak nothing. Left as an exercise here -
// common/admin_http.cpp's same_secret() shows the technique.
static bool password_ok(CommandContext& ctx, std::string_view user, std::string_view password) {
    if (user != "default") return false;
    return ctx.server.config.requirepass.empty() || password == ctx.server.config.requirepass;
}

void cmd_auth(CommandContext& ctx) {
    if (ctx.argc() > 3) return ctx.syntax_error();
    if (ctx.argc() == 2 && ctx.server.config.requirepass.empty())
        return ctx.reply.error(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your "
            "configuration is correct?");
    // AUTH password is AUTH default password (the Redis 6 two-argument form names the user). A wrong
    // password leaves an authenticated connection authenticated: failing to log in again is not
    // logging out, and Redis behaves the same.
    std::string_view user = ctx.argc() == 3 ? ctx.arg(1) : "default";
    if (!password_ok(ctx, user, ctx.arg(ctx.argc() - 1)))
        return ctx.reply.error("WRONGPASS invalid username-password pair or user is disabled.");
    ctx.client.authenticated = true;
    ctx.reply.ok();
}

// Names appear in CLIENT LIST's space-separated "name=..." fields, so a space or newline in a
// name would break every tool that parses that line; Redis refuses them for the same reason.
static bool valid_client_name(std::string_view name) {
    for (char c : name)
        if (c < '!' || c > '~') return false;  // no spaces, newlines or other specials
    return true;
}

// HELLO [2|3] [AUTH user pass] [SETNAME name]: the handshake of RESP3-aware clients. It switches
// the protocol for the rest of the connection (this very reply is already in the new one) and
// describes the server as a map.
void cmd_hello(CommandContext& ctx) {
    // HELLO without a version (6.2+) changes nothing and only describes the server: how a client
    // asks "which protocol am I speaking?" without risking a switch.
    int64_t version = 0;
    size_t next = 1;
    if (ctx.argc() >= 2) {
        auto v = ctx.int_arg(next++, "ERR Protocol version is not an integer or out of range");
        if (!v) return;
        // NOPROTO is the error a client library checks for to fall back to RESP2 with an older server.
        if (*v < 2 || *v > 3) return ctx.reply.error("NOPROTO unsupported protocol version");
        version = *v;
    }
    for (size_t j = next; j < ctx.argc(); ++j) {
        size_t more = ctx.argc() - 1 - j;
        std::string_view opt = ctx.arg(j);
        if (equals_ignore_case(opt, "AUTH") && more >= 2) {
            if (!password_ok(ctx, ctx.arg(j + 1), ctx.arg(j + 2)))
                return ctx.reply.error("WRONGPASS invalid username-password pair or user is disabled.");
            ctx.client.authenticated = true;
            j += 2;
        } else if (equals_ignore_case(opt, "SETNAME") && more >= 1) {
            if (!valid_client_name(ctx.arg(j + 1)))
                return ctx.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
            ctx.client.name = ctx.arg(j + 1);
            ++j;
        } else {
            return ctx.reply.error(fmt::format("ERR Syntax error in HELLO option '{}'", opt));
        }
    }
    // HELLO itself may run before AUTH (its N flag), because it can carry the credentials; without
    // them, on a server with a password, it is refused like any other command.
    if (!ctx.client.authenticated)
        return ctx.reply.error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> "
            "<pass> option can be used to authenticate the client and select the RESP protocol version at the same "
            "time");
    if (version) {
        ctx.client.protocol = static_cast<int>(version);
        ctx.reply = Reply(ctx.client.out, ctx.client.protocol);  // this very reply is already RESP3
    }
    // The server description: a RESP3 map (in RESP2 a flat array of pairs). Clients read "proto" to
    // confirm the switch and "version" to pick features; "mode" and "role" are fixed here because
    // this server has no cluster mode.
    ctx.reply.map(7);
    ctx.reply.bulk("server");
    ctx.reply.bulk("redis");
    ctx.reply.bulk("version");
    ctx.reply.bulk(kRedisVersion);
    ctx.reply.bulk("proto");
    ctx.reply.integer(ctx.client.protocol);
    ctx.reply.bulk("id");
    ctx.reply.integer(static_cast<int64_t>(ctx.client.id));
    ctx.reply.bulk("mode");
    ctx.reply.bulk("standalone");
    ctx.reply.bulk("role");
    ctx.reply.bulk("master");
    ctx.reply.bulk("modules");
    ctx.reply.array(0);
}

// RESET: leave every mode a connection can be in (MULTI, WATCH, subscriptions, RESP3, a selected
// database, a name, authentication) - what connection pools send before reusing a connection.
void cmd_reset(CommandContext& ctx) {
    Client& c = ctx.client;
    c.in_multi = c.multi_error = c.queued_denyoom = false;
    c.queued.clear();
    ctx.server.unwatch_all(c);
    ctx.server.unsubscribe_all(c);
    if (c.monitor) {  // RESET leaves MONITOR mode (as QUIT does, by closing)
        c.monitor = false;
        std::erase(ctx.server.monitors, &c);
    }
    // Back to what a fresh connection has: database 0, RESP2, no name, and authenticated only if
    // no password is set - so a pool cannot hand a logged-in connection to the next borrower. The
    // reply is written in RESP2 already, and it is the literal "+RESET" clients check for.
    c.db = 0;
    c.protocol = 2;
    c.name.clear();
    c.authenticated = ctx.server.config.requirepass.empty();
    ctx.reply = Reply(c.out, c.protocol);
    ctx.reply.simple("RESET");
}

// --- CLIENT ---------------------------------------------------------------------------------

// CLIENT ID: a number that only grows over the server's life, never reused - so an id in a log
// line or a CLIENT KILL ID can never hit a newer connection that happened to get the same fd.
void cmd_client_id(CommandContext& ctx) { ctx.reply.integer(static_cast<int64_t>(ctx.client.id)); }

// CLIENT SETNAME / GETNAME: a label shown in CLIENT LIST and MONITOR - "which service holds these
// 500 connections?" is the question it answers. No name is nil, not "".
void cmd_client_getname(CommandContext& ctx) {
    if (ctx.client.name.empty()) return ctx.reply.null();
    ctx.reply.bulk(ctx.client.name);
}

void cmd_client_setname(CommandContext& ctx) {
    if (!valid_client_name(ctx.arg(2)))
        return ctx.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
    ctx.client.name = ctx.arg(2);
    ctx.reply.ok();
}

// CLIENT INFO and CLIENT LIST: one "field=value ..." line per connection (client_info_line, core/),
// sent as a verbatim string in RESP3 ("txt"), a bulk string in RESP2.
void cmd_client_info(CommandContext& ctx) {
    ctx.reply.verbatim(client_info_line(ctx.client, ctx.server.clock.now_ms()) + "\n");
}

void cmd_client_list(CommandContext& ctx) {
    std::vector<uint64_t> only;  // CLIENT LIST ID a b c
    for (size_t j = 2; j < ctx.argc(); ++j) {
        if (equals_ignore_case(ctx.arg(j), "TYPE") && j + 1 < ctx.argc()) {
            ++j;  // every client here is a "normal" one
        } else if (equals_ignore_case(ctx.arg(j), "ID") && j + 1 < ctx.argc()) {
            for (++j; j < ctx.argc(); ++j) {
                auto id = parse_int64(ctx.arg(j));
                if (!id || *id <= 0) return ctx.reply.error("ERR Invalid client ID");
                only.push_back(static_cast<uint64_t>(*id));
            }
        } else {
            return ctx.syntax_error();
        }
    }
    std::vector<const Client*> clients;
    for (auto& [id, c] : ctx.server.clients)
        if (only.empty() || std::find(only.begin(), only.end(), id) != only.end()) clients.push_back(c);
    // Ids grow with every accept, so sorting by id lists connections oldest first - the order of
    // Redis' own client list, which tools that diff two CLIENT LIST outputs rely on.
    std::sort(clients.begin(), clients.end(), [](auto* a, auto* b) { return a->id < b->id; });
    std::string text;
    for (const Client* c : clients) text += client_info_line(*c, ctx.server.clock.now_ms()) + "\n";
    ctx.reply.verbatim(text);
}

// CLIENT KILL: the victim is marked close-after-reply with its pending output dropped; the wiring
// closes it at the end of the turn (never in the middle of another client's command).
void cmd_client_kill(CommandContext& ctx) {
    // Old form: CLIENT KILL addr:port -> OK / error. New form: filters -> number killed. The two are
    // told apart by the word count alone (filters always come in pairs, so never make 3 words), and
    // the address must be written exactly as CLIENT LIST's addr= field shows it.
    if (ctx.argc() == 3) {
        for (auto& [id, c] : ctx.server.clients) {
            if (c->peer != ctx.arg(2)) continue;
            ctx.server.kill_client(*c);
            return ctx.reply.ok();
        }
        return ctx.reply.error("ERR No such client");
    }
    std::optional<uint64_t> id;
    std::string_view addr, laddr;
    bool skip_me = true;
    for (size_t j = 2; j < ctx.argc(); j += 2) {
        if (j + 1 >= ctx.argc()) return ctx.syntax_error();
        std::string_view opt = ctx.arg(j), value = ctx.arg(j + 1);
        if (equals_ignore_case(opt, "ID")) {
            auto n = parse_int64(value);
            if (!n || *n <= 0) return ctx.reply.error("ERR client-id should be greater than 0");
            id = static_cast<uint64_t>(*n);
        } else if (equals_ignore_case(opt, "ADDR")) {
            addr = value;
        } else if (equals_ignore_case(opt, "LADDR")) {
            laddr = value;
        } else if (equals_ignore_case(opt, "SKIPME")) {
            if (equals_ignore_case(value, "yes"))
                skip_me = true;
            else if (equals_ignore_case(value, "no"))
                skip_me = false;
            else
                return ctx.syntax_error();
        } else if (equals_ignore_case(opt, "TYPE") || equals_ignore_case(opt, "USER")) {
            // every client is a "normal" client of user "default"
        } else {
            return ctx.syntax_error();
        }
    }
    // The filters combine with AND; SKIPME yes (the default) protects the caller from killing its
    // own connection with a filter that happens to match it.
    std::vector<Client*> victims;
    for (auto& [cid, c] : ctx.server.clients) {
        if (id && cid != *id) continue;
        if (!addr.empty() && c->peer != addr) continue;
        if (!laddr.empty() && c->local != laddr) continue;
        if (skip_me && c == &ctx.client) continue;
        victims.push_back(c);
    }
    for (Client* c : victims) ctx.server.kill_client(*c);
    ctx.reply.integer(static_cast<int64_t>(victims.size()));
}

// CLIENT NO-EVICT on|off: accepted and ignored - there is no maxmemory-clients eviction here,
// so every client is already "no-evict". The arguments are still checked, as Redis does.
void cmd_client_no_evict(CommandContext& ctx) {
    if (!equals_ignore_case(ctx.arg(2), "on") && !equals_ignore_case(ctx.arg(2), "off")) return ctx.syntax_error();
    ctx.reply.ok();
}

void cmd_client_help(CommandContext& ctx) {
    constexpr std::string_view kLines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are: ID, ADDR, LADDR, SKIPME.",
        "LIST [TYPE normal] [ID <id> [<id> ...]]",
        "    Return information about client connections.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "HELP",
        "    Print this help.",
    };
    ctx.reply.array(std::size(kLines));
    for (auto line : kLines) ctx.reply.simple(line);
}

}  // namespace miniredis
