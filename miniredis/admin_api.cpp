// CONCEPT: looking inside a running Redis from a browser. Redis users watch a server with INFO,
// CLIENT LIST, SLOWLOG and TTL; this file answers the same questions as JSON on the admin port,
// so the live page (admin_page.cpp) - or curl - can poll them once a second:
//
//   browser ──GET /──────────────> admin_page.cpp   (HTML+CSS+JS, compiled in)
//      │ every second
//      ├──GET /api/overview──────> keys per db, ops/s, memory, persistence (INFO's numbers)
//      ├──GET /api/clients───────> one row per connection, with its last command (CLIENT LIST)
//      ├──GET /api/slowlog───────> the slowest commands (SLOWLOG GET)
//      └──GET /api/keys/<name>───> type and TTL of one key (TYPE + PTTL), for the "watch key" box
//
// Everything here runs on the server's one thread, between two event-loop turns, like any
// command: it reads the model without locks and never changes it. In particular the key lookup
// uses Database::peek, not find: looking must not refresh the key's LRU clock, count a keyspace
// hit, or expire the key - the lecture wants to *see* lazy and active expiry, not cause it.
//
// READ NEXT: admin_page.cpp (the page that polls these), commands/info.cpp (INFO: the same
// numbers as text), common/admin_http.hpp (the endpoint that routes here).
#include "admin_api.hpp"

#include <boost/json.hpp>

#include <charconv>

#include "core/broker.hpp"
#include "health.hpp"
#include "model/memory.hpp"

namespace miniredis {
namespace {

namespace json = boost::json;

mb::HttpResponse json_response(const json::value& v) { return {200, "application/json", json::serialize(v)}; }

// "%2F" -> "/": a key name arrives percent-encoded in the path (the page uses encodeURIComponent).
std::string percent_decode(std::string_view in) {
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
        auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
            out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
            i += 2;
        } else {
            out += in[i];
        }
    }
    return out;
}

// INFO persistence is "name:value\r\n" lines; the page wants the same fields, so we reuse the
// one function that makes them (core/persistence.cpp) and turn each line into a JSON member.
// Numbers stay numbers, "ok"/"err" stay strings.
json::object persistence(Broker& state) {
    json::object out;
    std::string text = state.persistence_info();
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find("\r\n", pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        pos = end + 2;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
        char* rest = nullptr;
        std::string v(value);
        long long number = std::strtoll(v.c_str(), &rest, 10);
        if (!v.empty() && rest && *rest == '\0')
            out[name] = number;
        else
            out[name] = value;
    }
    out["appendfsync"] = state.config.options.text("appendfsync");
    return out;
}

json::value overview(Broker& state) {
    json::array dbs;
    for (Database& db : state.databases)
        if (db.size())
            dbs.push_back(json::object{{"db", db.index()}, {"keys", db.size()}, {"expires", db.expires_size()}});
    return json::object{
        {"server", "miniredis"},
        {"uptime_ms", state.clock.now_ms() - state.start_ms},
        {"ops_per_sec", state.ops_rate.per_second()},
        {"commands_processed", state.stats.commands_processed},
        {"connected_clients", state.clients.size()},
        {"used_memory", used_memory()},
        {"used_memory_rss", resident_memory()},
        {"maxmemory", state.config.maxmemory},
        {"maxmemory_policy", state.config.options.text("maxmemory-policy")},
        {"expired_keys", state.stats.expired_keys},
        {"evicted_keys", state.stats.evicted_keys},
        {"keyspace", std::move(dbs)},
        {"persistence", persistence(state)},
        {"health", health_problems(state)},
    };
}

json::value clients(Broker& state) {
    int64_t now = state.clock.now_ms();
    json::array out;
    for (const auto& [id, c] : state.clients)
        out.push_back(json::object{{"id", id},
                                   {"addr", c->peer},
                                   {"name", c->name},
                                   {"db", c->db},
                                   {"age_s", (now - c->created_ms) / 1000},
                                   {"idle_s", (now - c->last_interaction_ms) / 1000},
                                   {"cmd", c->last_command}});
    return out;
}

json::value slowlog(Broker& state) {
    json::array out;
    for (const SlowlogEntry& e : state.slowlog.entries()) {
        json::array args;
        for (const std::string& a : e.args) args.push_back(json::string(a));
        out.push_back(json::object{{"id", e.id},
                                   {"time", e.unix_time},
                                   {"duration_us", e.duration_us},
                                   {"args", std::move(args)},
                                   {"client", e.peer}});
    }
    return out;
}

// TYPE and PTTL of one key in database `db`, without touching it (see the top of the file). A key
// whose deadline has passed is reported gone even if expiry has not deleted it yet: that is what
// every command would see.
json::value key_info(Broker& state, const std::string& name, int db_index) {
    json::object out{{"key", name}, {"db", db_index}, {"exists", false}};
    if (db_index < 0 || static_cast<size_t>(db_index) >= state.databases.size()) return out;
    Database& db = state.databases[static_cast<size_t>(db_index)];
    Value* value = db.peek(name);
    std::optional<int64_t> deadline = db.expire_of(name);
    int64_t now = state.clock.now_ms();
    if (!value || (deadline && *deadline <= now)) return out;
    out["exists"] = true;
    out["type"] = type_name(value->type());
    out["ttl_ms"] = deadline ? *deadline - now : -1;  // -1: no TTL, as PTTL answers
    return out;
}

}  // namespace

std::string health_problems(Broker& state) {
    return mb::health_problems({used_memory(), static_cast<uint64_t>(state.config.maxmemory), state.config.dir,
                                static_cast<uint64_t>(state.config.options.integer("disk-free-limit"))});
}

// With `requirepass` set, /api asks for the same password (HTTP Basic, user "default", as Redis'
// AUTH): switching the trace on logs everyone's commands, the clients list shows addresses and the
// slowlog shows arguments. Only reading the trace switch is open to all.
mb::HttpResponse admin_api(Broker& state, const mb::HttpRequest& request) {
    std::string_view path = request.target.substr(0, request.target.find('?'));
    std::string_view query = request.target.size() > path.size() ? request.target.substr(path.size() + 1) : "";
    bool open_to_all = path == "/api/trace" && request.method == "GET";
    if (!state.config.requirepass.empty() && !open_to_all) {
        auto given = mb::basic_credentials(request.authorization);
        if (!given || given->user != "default" || !mb::same_secret(given->password, state.config.requirepass))
            return mb::unauthorized();
    }
    if (path.starts_with("/api/trace")) {  // the switch, and the lines the live page shows
        bool tracing = state.config.trace;
        mb::HttpResponse response = mb::trace_api(request, tracing);
        if (tracing != state.config.trace) {
            state.config.options.set("trace", tracing ? "yes" : "no");
            state.config.trace = tracing;
        }
        return response;
    }
    if (request.method != "GET") return {405, "application/json", R"({"error":"method not allowed"})"};
    if (path == "/api/overview") return json_response(overview(state));
    if (path == "/api/clients") return json_response(clients(state));
    if (path == "/api/slowlog") return json_response(slowlog(state));
    if (path.starts_with("/api/keys/") && path.size() > 10) {
        int db = 0;  // ?db=N picks the database, as SELECT does
        if (query.starts_with("db=")) {
            std::string_view digits = query.substr(3);
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), db);
            if (ec != std::errc() || end != digits.data() + digits.size())
                return {400, "application/json", R"({"error":"db must be a database number"})"};
        }
        return json_response(key_info(state, percent_decode(path.substr(10)), db));
    }
    return {404, "application/json", R"({"error":"not found"})"};
}

}  // namespace miniredis
