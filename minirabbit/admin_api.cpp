// minirabbit/admin_api.cpp
//
// The management API (see admin_api.hpp for the list of routes): the routing of /api paths to the
// model, authentication, and the change notifications that make an API change durable. The JSON
// of each object lives in admin_objects.cpp; the node, sessions, messages, policies and paging in
// their own admin_*.cpp files.
//
// CONCEPT: the operator's window on a broker. RabbitMQ ships its management plugin as the way to
// look at (and change) vhosts, queues, exchanges, bindings and users over HTTP; tools such as
// rabbitmqadmin speak only this API. We answer in RabbitMQ's paths and field names so those tools
// work unchanged - a compatibility goal, not a design we would pick from scratch (a GET of a vhost
// is "/api/vhosts/%2F", percent-encoded, because the default vhost's name is "/").
//
//   HTTP (common/admin_http.cpp, broker thread)
//     └─▶ handle_admin_request ─▶ keep_columns(paginate(handle_one))
//                                      └─▶ split_path ─▶ authenticate ─▶ Api::queues() / exchanges() / ...
//                                                                           └─▶ model/ (Vhost, Queue, Exchange)
//                                                                           └─▶ changed(): definitions saved
//
// Why no locks: the admin endpoint runs its handlers on the broker's own thread (as every request
// does), so it reads and changes the model exactly as an AMQP method would.
// READ NEXT: admin_objects.cpp, storage/definitions.cpp (what "changed" writes),
//            docs/minirabbit/ (the management API section).
#include "admin_api.hpp"

#include <boost/json.hpp>
#include <regex>

#include "admin_json.hpp"
#include "base64.hpp"
#include "model/policy.hpp"
#include "storage/definitions.hpp"
#include "version.hpp"

namespace minirabbit {

namespace json = boost::json;

std::string percent_decode(std::string_view in) {
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
        auto hex = [](char c) {
            if (c >= '0' && c <= '9') return c - '0';
            c = static_cast<char>(c | 32);
            return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        };
        if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
            i += 2;
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}

namespace {

// Every JSON response goes out through here: names are client-chosen bytes (admin_json.hpp).
mb::HttpResponse reply(unsigned status, const json::value& body) {
    return {status, "application/json", serialize_as_valid_utf8(body)};
}
mb::HttpResponse no_content() { return {204, "application/json", ""}; }
mb::HttpResponse error(unsigned status, std::string_view error, std::string_view reason) {
    return reply(status, json::object{{"error", error}, {"reason", reason}});
}
mb::HttpResponse not_found() { return error(404, "Object Not Found", "Not Found"); }
mb::HttpResponse bad_request(std::string_view reason) { return error(400, "bad_request", reason); }

// "/api/queues/%2F/tasks" -> {"queues", "/", "tasks"}
std::vector<std::string> split_path(std::string_view target) {
    std::string_view path = target.substr(0, target.find('?'));
    if (path.starts_with("/api")) path.remove_prefix(4);
    std::vector<std::string> parts;
    while (!path.empty()) {
        if (path.front() == '/') {
            path.remove_prefix(1);
            continue;
        }
        size_t slash = path.find('/');
        parts.push_back(percent_decode(path.substr(0, slash)));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash);
    }
    return parts;
}

// HTTP Basic auth -> the user name, if the password is right and the user is an administrator.
const User* authenticate(const Users& users, std::string_view authorization) {
    if (!authorization.starts_with("Basic ")) return nullptr;
    std::string credentials = mb::base64_decode(authorization.substr(6));
    size_t colon = credentials.find(':');
    if (colon == std::string::npos) return nullptr;
    std::string name = credentials.substr(0, colon);
    if (!users.check_password(name, std::string_view(credentials).substr(colon + 1))) return nullptr;
    return users.find(name);
}

json::object parse_body(std::string_view body) {
    boost::system::error_code ec;
    json::value value = json::parse(body.empty() ? std::string_view("{}") : body, ec);
    if (ec || !value.is_object()) return {};
    return value.get_object();
}

bool body_flag(const json::object& body, std::string_view key, bool fallback) {
    auto it = body.find(key);
    return it != body.end() && it->value().is_bool() ? it->value().get_bool() : fallback;
}

std::string body_text(const json::object& body, std::string_view key, std::string_view fallback = "") {
    auto it = body.find(key);
    return it != body.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string(fallback);
}

json::value body_member(const json::object& body, std::string_view key) {
    auto it = body.find(key);
    return it == body.end() ? json::value() : it->value();
}

template <typename Each>
json::array over_vhosts(const Broker& broker, const std::vector<std::string>& path, Each&& each) {
    json::array out;
    for (const auto& [name, vhost] : broker.vhosts())
        if (path.size() < 2 || path[1] == name) each(*vhost, out);
    return out;
}

struct Api {
    AdminContext& ctx;
    const mb::HttpRequest& req;
    std::vector<std::string> path;
    Broker& broker() { return ctx.broker; }
    bool is(std::string_view method) const { return req.method == method; }
    mb::HttpResponse changed(mb::HttpResponse response) {
        broker().definitions_changed();
        if (ctx.changed) ctx.changed();
        return response;
    }

    mb::HttpResponse nodes() {
        if (path.size() == 1) return reply(200, json::array{node_json(ctx)});
        if (path.size() == 2 && path[1] == node_name()) return reply(200, node_json(ctx));
        return not_found();
    }

    mb::HttpResponse vhosts() {
        if (path.size() == 1 && is("GET")) {
            json::array out;
            for (const auto& [name, v] : broker().vhosts()) out.push_back(vhost_json(*v));
            return reply(200, out);
        }
        if (path.size() == 3 && path[2] == "connections" && is("GET"))  // the vhost page's table
            return broker().find_vhost(path[1]) ? reply(200, connections_json(ctx, path[1])) : not_found();
        if (path.size() == 3 && path[2] == "topic-permissions" && is("GET"))  // none: topic permissions are left out
            return broker().find_vhost(path[1]) ? reply(200, json::array{}) : not_found();
        if (path.size() == 3 && path[2] == "permissions" && is("GET")) {
            if (!broker().find_vhost(path[1])) return not_found();
            json::array out;
            auto it = broker().users().permissions().find(path[1]);
            if (it != broker().users().permissions().end())
                for (const auto& [user, p] : it->second)
                    out.push_back(json::object{{"user", user},
                                               {"vhost", path[1]},
                                               {"configure", p.configure()},
                                               {"write", p.write()},
                                               {"read", p.read()}});
            return reply(200, out);
        }
        if (path.size() != 2) return not_found();
        if (is("GET"))
            return broker().find_vhost(path[1]) ? reply(200, vhost_json(*broker().find_vhost(path[1]))) : not_found();
        if (is("PUT")) {
            broker().add_vhost(path[1]);
            return changed(no_content());
        }
        if (is("DELETE")) return broker().delete_vhost(path[1]) ? changed(no_content()) : not_found();
        return error(405, "method_not_allowed", "Method Not Allowed");
    }

    mb::HttpResponse users() {
        Users& users = broker().users();
        auto user_json = [](const User& u) {
            std::string tags;
            for (const auto& t : u.tags) tags += (tags.empty() ? "" : ",") + t;
            return json::object{{"name", u.name},
                                {"limits", json::object{}},
                                {"password_hash", u.password_hash},
                                {"hashing_algorithm", "rabbit_password_hashing_sha256"},
                                {"tags", tags}};
        };
        if (path.size() == 1 && is("GET")) {
            json::array out;
            for (const auto& [name, u] : users.users()) out.push_back(user_json(u));
            return reply(200, out);
        }
        if (path.size() == 3 && is("GET") && (path[2] == "permissions" || path[2] == "topic-permissions")) {
            if (!users.find(path[1])) return not_found();
            json::array out;  // the user page's tables; topic permissions are left out, so always empty
            if (path[2] == "permissions")
                for (const auto& [vhost, by_user] : users.permissions())
                    if (auto it = by_user.find(path[1]); it != by_user.end())
                        out.push_back(json::object{{"user", path[1]},
                                                   {"vhost", vhost},
                                                   {"configure", it->second.configure()},
                                                   {"write", it->second.write()},
                                                   {"read", it->second.read()}});
            return reply(200, out);
        }
        if (path.size() != 2) return not_found();
        if (is("GET")) return users.find(path[1]) ? reply(200, user_json(*users.find(path[1]))) : not_found();
        if (is("DELETE")) {
            if (!users.delete_user(path[1])) return not_found();
            if (broker().on_user_deleted) broker().on_user_deleted(std::string(path[1]));
            return changed(no_content());
        }
        if (!is("PUT")) return error(405, "method_not_allowed", "Method Not Allowed");
        json::object body = parse_body(req.body);
        std::vector<std::string> tags;
        std::string all = body_text(body, "tags");
        for (size_t start = 0; start < all.size();) {
            size_t comma = all.find(',', start);
            std::string tag = all.substr(start, comma - start);
            if (!tag.empty()) tags.push_back(tag);
            start = comma == std::string::npos ? all.size() : comma + 1;
        }
        if (body.contains("password"))
            users.put_user(path[1], body_text(body, "password"), tags);
        else if (body.contains("password_hash"))
            users.put_user_with_hash(path[1], body_text(body, "password_hash"), tags);
        else
            return bad_request("password or password_hash is required");
        return changed(no_content());
    }

    mb::HttpResponse permissions() {
        Users& users = broker().users();
        auto permission_json = [](const std::string& vhost, const std::string& user, const Permission& p) {
            return json::object{{"user", user},
                                {"vhost", vhost},
                                {"configure", p.configure()},
                                {"write", p.write()},
                                {"read", p.read()}};
        };
        if (path.size() == 1 && is("GET")) {
            json::array out;
            for (const auto& [vhost, by_user] : users.permissions())
                for (const auto& [user, p] : by_user) out.push_back(permission_json(vhost, user, p));
            return reply(200, out);
        }
        if (path.size() != 3) return not_found();
        const std::string &vhost = path[1], &user = path[2];
        if (is("GET")) {
            const Permission* p = users.permission(vhost, user);
            return p ? reply(200, permission_json(vhost, user, *p)) : not_found();
        }
        if (is("DELETE")) return users.clear_permission(vhost, user) ? changed(no_content()) : not_found();
        if (!is("PUT")) return error(405, "method_not_allowed", "Method Not Allowed");
        if (!broker().find_vhost(vhost)) return bad_request("vhost_not_found");
        if (!users.find(user)) return bad_request("user_not_found");
        json::object body = parse_body(req.body);
        try {
            users.set_permission(
                vhost, user,
                Permission(body_text(body, "configure"), body_text(body, "write"), body_text(body, "read")));
        } catch (const std::regex_error&) {
            return bad_request("invalid regular expression");
        }
        return changed(no_content());
    }

    mb::HttpResponse queues() {
        if (path.size() <= 2 && is("GET")) {
            if (path.size() == 2 && !broker().find_vhost(path[1])) return not_found();
            StatsQuery stats = stats_query(req.target);
            return reply(200, over_vhosts(broker(), path, [&stats](const Vhost& v, json::array& out) {
                             for (const auto& [name, q] : v.queues()) out.push_back(queue_json(v, *q, stats));
                         }));
        }
        if (path.size() < 3) return not_found();
        Vhost* vhost = broker().find_vhost(path[1]);
        if (!vhost) return not_found();
        Queue* queue = vhost->find_queue(path[2]);
        if (path.size() == 4 && path[3] == "contents" && is("DELETE")) {
            if (!queue) return not_found();
            queue->purge();
            return no_content();
        }
        if (path.size() == 4 && path[3] == "bindings" && is("GET"))  // the queue page's bindings table
            return queue ? reply(200, bindings_where(*vhost, "destination", path[2], "queue")) : not_found();
        if (path.size() == 4 && path[3] == "get" && is("POST")) {
            if (!queue) return not_found();
            auto response = admin_get(*queue, req.body);
            if (ctx.changed) ctx.changed();  // acks may have journal records to hand over
            return response;
        }
        if (path.size() != 3) return not_found();
        if (is("GET")) {
            if (!queue) return not_found();
            json::object out = queue_json(*vhost, *queue, stats_query(req.target));
            json::array consumers;  // the queue page's consumer table
            for (auto& c : consumers_json(ctx, vhost->name()))
                if (c.as_object().at("queue").as_object().at("name").as_string() == queue->name())
                    consumers.push_back(std::move(c));
            out["consumer_details"] = std::move(consumers);
            return reply(200, out);
        }
        if (is("DELETE")) {
            if (!queue) return not_found();
            vhost->delete_queue(*queue);
            return changed(no_content());
        }
        if (!is("PUT")) return error(405, "method_not_allowed", "Method Not Allowed");
        if (queue) return no_content();  // declaring an existing queue is fine (no equivalence check here)
        json::object body = parse_body(req.body);
        amqp::FieldTable arguments = field_table_from_json(body_member(body, "arguments"));
        std::string bad, why;
        auto settings = QueueArguments::parse(arguments, bad, why);
        if (!settings) return bad_request("invalid arg '" + bad + "': " + why);
        bool durable = body_flag(body, "durable", true);
        auto q = std::make_shared<Queue>(*vhost, path[2], durable, false, body_flag(body, "auto_delete", false),
                                         std::move(arguments), std::move(*settings), 0);
        if (durable) q->store_id = broker().next_id();
        vhost->add_queue(std::move(q));
        return changed({201, "application/json", ""});
    }

    mb::HttpResponse exchanges() {
        if (path.size() <= 2 && is("GET")) {
            if (path.size() == 2 && !broker().find_vhost(path[1])) return not_found();
            StatsQuery stats = stats_query(req.target);
            return reply(200, over_vhosts(broker(), path, [&stats](const Vhost& v, json::array& out) {
                             for (const auto& [name, e] : v.exchanges()) out.push_back(exchange_json(v, *e, stats));
                         }));
        }
        if (path.size() == 4 && path[3] == "publish" && is("POST")) {
            Vhost* vhost = broker().find_vhost(path[1]);
            // The management API calls the default exchange "amq.default" in URLs.
            Exchange* exchange = vhost ? vhost->find_exchange(path[2] == "amq.default" ? "" : path[2]) : nullptr;
            if (!exchange) return not_found();
            auto response = admin_publish(*vhost, *exchange, req.body);
            if (ctx.changed) ctx.changed();  // hand journal records to the sync thread
            return response;
        }
        if (path.size() == 5 && path[3] == "bindings" && (path[4] == "source" || path[4] == "destination")) {
            Vhost* vhost = broker().find_vhost(path[1]);
            std::string name = path[2] == "amq.default" ? "" : path[2];
            if (!vhost || !vhost->find_exchange(name)) return not_found();
            return reply(200, bindings_where(*vhost, path[4], name, "exchange"));
        }
        if (path.size() != 3) return not_found();
        Vhost* vhost = broker().find_vhost(path[1]);
        if (!vhost) return not_found();
        Exchange* exchange = vhost->find_exchange(path[2]);
        if (is("GET"))
            return exchange ? reply(200, exchange_json(*vhost, *exchange, stats_query(req.target))) : not_found();
        if (path[2].empty() || path[2].starts_with("amq.")) return error(403, "access_refused", "reserved exchange");
        if (is("DELETE")) {
            if (!exchange) return not_found();
            vhost->delete_exchange(*exchange);
            return changed(no_content());
        }
        if (!is("PUT")) return error(405, "method_not_allowed", "Method Not Allowed");
        json::object body = parse_body(req.body);
        std::string type = body_text(body, "type", "direct");
        if (exchange) return exchange->type() == type ? no_content() : bad_request("inequivalent arg 'type'");
        auto made =
            make_exchange(type, path[2], body_flag(body, "durable", true), body_flag(body, "auto_delete", false),
                          body_flag(body, "internal", false), field_table_from_json(body_member(body, "arguments")));
        if (!made) return bad_request("unknown exchange type '" + type + "'");
        vhost->add_exchange(std::move(made));
        return changed({201, "application/json", ""});
    }

    mb::HttpResponse bindings() {
        if (path.size() <= 2 && is("GET")) {
            if (path.size() == 2 && !broker().find_vhost(path[1])) return not_found();
            return reply(200, over_vhosts(broker(), path, append_bindings));
        }
        // /bindings/{vhost}/e/{source}/q|e/{destination}[/{properties_key}]
        if (path.size() < 6 || path[2] != "e" || (path[4] != "q" && path[4] != "e")) return not_found();
        Vhost* vhost = broker().find_vhost(path[1]);
        if (!vhost) return not_found();
        Exchange* source = vhost->find_exchange(path[3]);
        bool to_exchange = path[4] == "e";
        Queue* queue = to_exchange ? nullptr : vhost->find_queue(path[5]);
        Exchange* destination = to_exchange ? vhost->find_exchange(path[5]) : nullptr;
        if (!source || (!queue && !destination)) return not_found();
        if (source->name().empty())
            return error(403, "access_refused", "operation not permitted on the default exchange");
        if (path.size() == 6 && is("GET")) {
            json::array out;
            for (const auto& b : source->bindings())
                if ((b->queue == queue && queue) || (b->exchange == destination && destination))
                    out.push_back(binding_json(*vhost, source->name(), path[5], to_exchange ? "exchange" : "queue",
                                               b->routing_key, b->arguments));
            return reply(200, out);
        }
        if (path.size() == 6 && is("POST")) {
            json::object body = parse_body(req.body);
            std::string key = body_text(body, "routing_key");
            source->bind(Binding{key, field_table_from_json(body_member(body, "arguments")), queue, destination});
            return changed({201, "application/json", ""});
        }
        if (path.size() == 7 && is("DELETE")) {
            std::string key = path[6] == "~" ? "" : path[6].substr(0, path[6].find('~'));
            if (!vhost->unbind(*source, path[5], to_exchange, key, {})) return not_found();
            return changed(no_content());
        }
        return not_found();
    }

    // /connections[/{name}[/channels]], /vhosts/{vhost}/connections
    mb::HttpResponse connections() {
        if (path.size() == 1 && is("GET")) return reply(200, connections_json(ctx, ""));
        if (path.size() < 2 || path.size() > 3 || !ctx.connections) return not_found();
        const ConnectionInfo* found = nullptr;
        auto all = ctx.connections();
        for (const auto& c : all)
            if (c.name == path[1]) found = &c;
        if (!found) return not_found();
        if (path.size() == 3)
            return path[2] == "channels" && is("GET") ? reply(200, channels_json(ctx, "", path[1])) : not_found();
        if (is("GET")) return reply(200, connection_json(ctx, *found));
        if (!is("DELETE")) return error(405, "method_not_allowed", "Method Not Allowed");
        std::string reason = req.reason.empty() ? "Closed via management plugin" : std::string(req.reason);
        if (!ctx.close_connection || !ctx.close_connection(path[1], reason)) return not_found();
        return no_content();
    }

    // /channels, /channels/{name}, /consumers[/{vhost}]
    mb::HttpResponse channels() {
        if (!is("GET")) return error(405, "method_not_allowed", "Method Not Allowed");
        json::array all = channels_json(ctx, "", "");
        if (path.size() == 1) return reply(200, all);
        for (const auto& ch : all)
            if (path.size() == 2 && ch.as_object().at("name").as_string() == path[1]) return reply(200, ch);
        return not_found();
    }
    mb::HttpResponse consumers() {
        if (!is("GET") || path.size() > 2) return not_found();
        if (path.size() == 2 && !broker().find_vhost(path[1])) return not_found();
        return reply(200, consumers_json(ctx, path.size() == 2 ? std::string_view(path[1]) : ""));
    }
};

}  // namespace

mb::HttpResponse handle_one(AdminContext& context, const mb::HttpRequest& request);

namespace {

// RabbitMQ's API accepts ?columns=name,messages on list requests and returns only those fields
// (rabbitmqadmin asks for them). A dotted name (message_stats.publish) keeps its top-level object.
mb::HttpResponse keep_columns(mb::HttpResponse response, std::string_view target) {
    size_t at = target.find("columns=");
    if (at == std::string_view::npos || response.status != 200) return response;
    std::string_view list = target.substr(at + 8);
    list = list.substr(0, list.find('&'));
    std::vector<std::string> columns;
    std::string all = percent_decode(list);
    for (size_t start = 0; start < all.size();) {
        size_t comma = std::min(all.find(',', start), all.size());
        if (comma > start) columns.push_back(all.substr(start, comma - start));
        start = comma + 1;
    }
    boost::system::error_code ec;
    json::value doc = json::parse(response.body, ec);
    if (ec) return response;
    auto filter = [&](const json::object& item) {
        json::object kept;
        for (const auto& column : columns) {
            const json::value* v = &item.at(column.substr(0, column.find('.')));  // throws if absent
            kept[column.substr(0, column.find('.'))] = *v;
        }
        return kept;
    };
    try {
        if (doc.is_array()) {
            json::array out;
            for (const auto& item : doc.get_array())
                if (item.is_object()) out.push_back(filter(item.get_object()));
            response.body = serialize_as_valid_utf8(out);
        } else if (doc.is_object()) {
            response.body = serialize_as_valid_utf8(filter(doc.get_object()));
        }
    } catch (const std::exception&) {
        // A column the objects do not have: answer with everything rather than guess.
    }
    return response;
}

}  // namespace

mb::HttpResponse handle_admin_request(AdminContext& context, const mb::HttpRequest& request) {
    if (request.method == "GET")
        return keep_columns(paginate(handle_one(context, request), request.target), request.target);
    return handle_one(context, request);
}

mb::HttpResponse handle_one(AdminContext& context, const mb::HttpRequest& request) {
    Api api{context, request, split_path(request.target)};
    if (api.path.empty()) return not_found();
    const std::string& section = api.path[0];
    // Asked before login (index.html decides between a password form and OAuth): no credentials.
    if (section == "auth" && request.method == "GET") return reply(200, auth_json());
    // Everything needs an administrator - the trace switch too: a trace shows everyone's traffic.
    const User* user = authenticate(context.broker.users(), request.authorization);
    if (!user) return error(401, "not_authorised", "Login failed");
    if (!user->is_administrator()) return error(401, "not_authorised", "Not administrator user");
    if (section == "trace") return mb::trace_api(request, context.broker.trace);  // the switch, the lines
    if (section == "overview") return reply(200, overview_json(context, stats_query(request.target)));
    if (section == "nodes" && request.method == "GET") return api.nodes();
    if (section == "extensions") return reply(200, extensions_json());
    if (section == "whoami")  // the UI reads tags as a list (RabbitMQ 3.10+), rabbitmqadmin as either
        return reply(200, json::object{{"name", user->name}, {"tags", json::array{"administrator"}}});
    if (section == "channels") return api.channels();
    if (section == "topic-permissions" && request.method == "GET") return reply(200, json::array{});
    if (section == "policies" || section == "operator-policies")
        return policies_request(context.broker, request, api.path, [&] { api.changed(no_content()); });
    if (section == "consumers") return api.consumers();
    if (section == "vhosts") return api.vhosts();
    if (section == "users") return api.users();
    if (section == "permissions") return api.permissions();
    if (section == "queues") return api.queues();
    if (section == "exchanges") return api.exchanges();
    if (section == "bindings") return api.bindings();
    if (section == "connections") return api.connections();
    if (section == "definitions" && request.method == "GET")
        return {200, "application/json", valid_utf8(definitions_json(context.broker))};
    if (section == "definitions" && request.method == "POST") {
        try {
            apply_definitions(context.broker, std::string(request.body));
        } catch (const std::exception& e) {
            return bad_request(e.what());
        }
        return api.changed(no_content());
    }
    return not_found();
}

}  // namespace minirabbit
