// common/admin_http.hpp
//
// The admin HTTP endpoint every broker offers on --admin-port:
//   GET /          the server's live page, if it has one   (what a lecturer puts on the projector)
//   GET /live      the same page, always (minirabbit puts RabbitMQ's own UI on / with --management-ui)
//   GET /docs/...  the course's chapters, as text: the live pages link each concept they show to
//                  its chapter (docs_file below)
//   GET /healthz   "ok", or 503 and the alarms             (should it get traffic? common/health.hpp)
//   GET /metrics   the Metrics registry, Prometheus text  (what is it doing?)
//   *   /api/...   JSON, answered by the broker's own ApiHandler (minirabbit shapes it like
//                  RabbitMQ's management API, so tools that know that API work)
//   GET anything else   the optional page handler (minirabbit: RabbitMQ's management UI files);
//                  404 without one
// It runs on the broker's own thread, so an ApiHandler can read the model without locks.
// Beast lives only in admin_http.cpp: this header stays cheap to include.
//
// CONCEPT: observability as part of the product. The notes compare the three brokers on
// throughput, durability and complexity; an operator compares them on "can I see what it is
// doing?". One endpoint with the same three paths everywhere means one Prometheus scrape config and
// one health check fit all three servers, and a lecturer can show the same /metrics lines side by
// side. The broker's own HTTP thread would need locks around the model; running Beast on the
// broker's io_context keeps the one-thread rule of docs/architecture.md.
//
//   curl :ADMIN/metrics ──▶ admin_http.cpp (Beast session) ──▶ Metrics::render ──▶ text/plain
//   curl :ADMIN/api/... ──▶ the server's ApiHandler (miniredis/admin_api.cpp, minirabbit/admin_api.cpp, ...)
// READ NEXT: admin_http.cpp, metrics.hpp, health.hpp.
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

// Everything under /api/trace for all three servers: the switch above, and
//   GET /api/trace/lines?after=N -> {"trace":true,"next":M,"skipped":0,"lines":["...", ...]}
// the trace lines kept since line N (common/trace_ring.hpp; at most 200 per answer), which the
// live pages' trace panel polls. Callers check credentials first: a trace shows everyone's traffic.
HttpResponse trace_api(const HttpRequest& request, bool& tracing);

// GET /docs/<server>/<chapter>.md: a chapter of the course, from the docs/ directory of the source
// tree this binary was built from, as text/plain. Only plain names are served (no "..", no other
// directories); a missing file is a 404 that says where the chapter lives in the repository.
HttpResponse docs_file(std::string_view path);

// What a server adds to the shared endpoint besides its /api.
struct AdminExtras {
    // GET /: one self-contained HTML page (its CSS and JS inline, compiled into the binary), e.g.
    // miniredis/admin_page.cpp. Empty: 404, as before.
    std::string_view index_html;
    // false: GET / goes to `pages` and the live page is only at /live (minirabbit with the UI).
    bool index_at_root = true;
    // GET /healthz: the alarms now, one line each (mb::health_problems); "" or unset = "ok".
    std::function<std::string()> health;
    // Every other path that is neither /healthz, /metrics nor /api: static files (minirabbit serves
    // RabbitMQ's own management UI this way). Unset: 404.
    ApiHandler pages;
};

// Starts listening; returns the bound port (useful with port 0). Throws if it cannot bind.
uint16_t start_admin_http(boost::asio::io_context& io, const std::string& bind, uint16_t port, const Metrics& metrics,
                          ApiHandler api, AdminExtras extras = {});

}  // namespace mb
