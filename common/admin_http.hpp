// The admin HTTP endpoint every broker offers on --admin-port:
//   GET /healthz   "ok"                                  (is the broker up?)
//   GET /metrics   the Metrics registry, Prometheus text  (what is it doing?)
//   *   /api/...   JSON, answered by the broker's own ApiHandler (minirabbit shapes it like
//                  RabbitMQ's management API, so tools that know that API work)
//   GET anything else   the optional page handler (minirabbit: RabbitMQ's management UI files);
//                  404 without one
// It runs on the broker's own thread, so an ApiHandler can read the model without locks.
// Beast lives only in admin_http.cpp: this header stays cheap to include.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "metrics.hpp"

namespace boost::asio {
class io_context;
}

namespace mb {

struct HttpRequest {
    std::string_view method;  // "GET", "PUT", "DELETE", "POST"
    std::string_view target;  // path and query, e.g. "/api/queues/%2F/tasks"
    std::string_view body;
    std::string_view authorization;  // the Authorization header, if any
    std::string_view reason = {};    // the X-Reason header (RabbitMQ's reason for closing a connection)
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
};

using ApiHandler = std::function<HttpResponse(const HttpRequest&)>;

// HTTP Basic credentials from an Authorization header ("Basic base64(user:password)"); nullopt
// when there are none or they are malformed. Each server checks them against its own users:
// minirabbit its user table, miniredis `requirepass` (user "default", as Redis' AUTH).
struct BasicCredentials {
    std::string user;
    std::string password;
};
std::optional<BasicCredentials> basic_credentials(std::string_view authorization);

// Compares a password without an early exit, so the time taken does not tell how much matched.
bool same_secret(std::string_view given, std::string_view expected);

// 401 with the JSON body RabbitMQ's management API uses; the endpoint adds WWW-Authenticate.
HttpResponse unauthorized(std::string_view reason = "Login failed");

// The /api/trace switch all three servers share:
//   GET -> {"trace":false}        PUT {"trace":true} -> {"trace":true}
// The body is parsed as JSON (a "true" somewhere else in it does not count); anything but a
// boolean "trace" member is a 400, other methods a 405. Callers check credentials first.
HttpResponse trace_switch(const HttpRequest& request, bool& tracing);

// Starts listening; returns the bound port (useful with port 0). Throws if it cannot bind.
// `pages`, when set, answers the paths that are neither /healthz, /metrics nor /api (static files).
uint16_t start_admin_http(boost::asio::io_context& io, const std::string& bind, uint16_t port, const Metrics& metrics,
                          ApiHandler api, ApiHandler pages = {});

}  // namespace mb
