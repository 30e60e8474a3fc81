// CONCEPT: policies over HTTP - how an operator sets them (RabbitMQ's /api/policies, which
// `rabbitmqadmin declare policy` and the UI's Admin > Policies page call):
//
//   PUT    /api/policies/{vhost}/{name}  {"pattern": "^tmp\\.", "apply-to": "queues", "priority": 1,
//                                         "definition": {"message-ttl": 60000}}
//   GET    /api/policies[/{vhost}[/{name}]]
//   DELETE /api/policies/{vhost}/{name}
//   GET    /api/operator-policies  []   (RabbitMQ's second kind; minirabbit has none, the UI asks)
//
// A PUT replaces the policy of that name and re-evaluates every queue of the vhost at once
// (Vhost::set_policy): matching queues run with the merged settings from then on. Policies are
// definitions, so they are saved with the vhosts and queues (storage/definitions.cpp) and come
// back after a restart before any queue does.
// READ NEXT: model/policy.hpp (matching and merging), model/vhost.cpp (apply_policies).
#include <boost/json.hpp>

#include "admin_api.hpp"
#include "admin_json.hpp"
#include "storage/definitions.hpp"

namespace minirabbit {

namespace json = boost::json;

namespace {

mb::HttpResponse reply(unsigned status, const json::value& body) {
    return {status, "application/json", serialize_as_valid_utf8(body)};
}
mb::HttpResponse not_found() {
    return reply(404, json::object{{"error", "Object Not Found"}, {"reason", "Not Found"}});
}

}  // namespace

// `path` is {"policies", vhost?, name?}; `changed` saves the definitions after a change.
mb::HttpResponse policies_request(Broker& broker, const mb::HttpRequest& req, const std::vector<std::string>& path,
                                  const std::function<void()>& changed) {
    if (path.empty()) return not_found();
    if (path[0] == "operator-policies") return req.method == "GET" ? reply(200, json::array{}) : not_found();
    if (path.size() <= 2 && req.method == "GET") {
        if (path.size() == 2 && !broker.find_vhost(path[1])) return not_found();
        json::array out;
        for (const auto& [vhost_name, vhost] : broker.vhosts())
            if (path.size() < 2 || path[1] == vhost_name)
                for (const auto& [name, p] : vhost->policies()) out.push_back(policy_to_json(vhost_name, p));
        return reply(200, out);
    }
    if (path.size() != 3) return not_found();
    Vhost* vhost = broker.find_vhost(path[1]);
    if (!vhost) return not_found();
    auto it = vhost->policies().find(path[2]);
    if (req.method == "GET")
        return it == vhost->policies().end() ? not_found() : reply(200, policy_to_json(path[1], it->second));
    if (req.method == "DELETE") {
        if (!vhost->delete_policy(path[2])) return not_found();
        changed();
        return {204, "application/json", ""};
    }
    if (req.method != "PUT")
        return reply(405, json::object{{"error", "method_not_allowed"}, {"reason", "Method Not Allowed"}});
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec || !body.is_object())
        return reply(400, json::object{{"error", "bad_request"}, {"reason", "expected a JSON object"}});
    bool existed = it != vhost->policies().end();
    try {
        vhost->set_policy(policy_from_json(path[2], body.get_object()));
    } catch (const std::invalid_argument& e) {
        return reply(400, json::object{{"error", "bad_request"}, {"reason", e.what()}});
    }
    changed();
    return {existed ? 204u : 201u, "application/json", ""};
}

}  // namespace minirabbit
