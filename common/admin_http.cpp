// common/admin_http.cpp
//
// Admin endpoint on Boost.Beast, after Beast's http_server_awaitable example: a listener
// coroutine and one coroutine per HTTP connection (keep-alive, bounded request size, timeout).
//
// CONCEPT: see admin_http.hpp. The limits are the point of this file: a request body is bounded
// (kMaxRequestBody), an idle keep-alive connection times out, and a request that breaks either gets
// an HTTP error rather than memory or a stuck coroutine - the admin port faces the same hostile
// input as the broker port. trace_switch() is the one /api/trace all three servers share, reading
// its JSON with Boost.JSON: a string search for "true" once turned tracing on for
// {"trace":false,"note":"true"}.
// READ NEXT: listener.cpp (the same coroutine shape for the broker port).
#include "admin_http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>

#include "base64.hpp"
#include "listener.hpp"
#include "log.hpp"

namespace mb {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxRequestBody = 1 << 20;  // management requests are small JSON documents

http::response<http::string_body> answer(const http::request<http::string_body>& req, const Metrics& metrics,
                                         const ApiHandler& api, const AdminExtras& extras) {
    HttpResponse out;
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    if (path == "/healthz") {
        std::string problems = extras.health ? extras.health() : std::string();
        out = problems.empty() ? HttpResponse{200, "text/plain", "ok\n"} : HttpResponse{503, "text/plain", problems};
    } else if (path == "/" && !extras.index_html.empty()) {
        out = {200, "text/html; charset=utf-8", std::string(extras.index_html)};
    } else if (path == "/metrics") {
        out = {200, "text/plain; version=0.0.4", metrics.render_prometheus()};
    } else if (path.starts_with("/api/") || path == "/api") {
        if (api) {
            auto auth = req[http::field::authorization];
            auto reason = req["X-Reason"];
            out = api(HttpRequest{{req.method_string().data(), req.method_string().size()},
                                  target,
                                  req.body(),
                                  {auth.data(), auth.size()},
                                  {reason.data(), reason.size()}});
        } else {
            out = {404, "application/json", R"({"error":"Object Not Found","reason":"Not Found"})"};
        }
    } else if (extras.pages) {
        out = extras.pages(HttpRequest{{req.method_string().data(), req.method_string().size()}, target, {}, {}, {}});
    } else {
        out = {404, "text/plain", "not found\n"};
    }
    http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
    res.set(http::field::server, "minibrokers");
    res.set(http::field::content_type, out.content_type);
    if (out.status == 401) res.set(http::field::www_authenticate, "Basic realm=\"minibrokers\"");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(out.body);
    res.prepare_payload();
    return res;
}

// What one accept loop serves: the server's /api handler and its extras (page, health).
struct Handlers {
    ApiHandler api;
    AdminExtras extras;
};

asio::awaitable<void> serve_http(beast::tcp_stream stream, const Metrics& metrics, std::shared_ptr<Handlers> handlers) {
    beast::flat_buffer buffer;  // must persist across reads: it may hold the next pipelined request
    for (;;) {
        stream.expires_after(std::chrono::seconds(30));
        http::request_parser<http::string_body> parser;
        parser.body_limit(kMaxRequestBody);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        (void)n;
        if (ec) break;  // closed, timed out, or malformed: drop this connection only
        auto res = answer(parser.get(), metrics, handlers->api, handlers->extras);
        bool keep_alive = res.keep_alive();
        auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        (void)wn;
        if (wec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

// HTTP Basic authentication, as RabbitMQ's management API uses it: "Basic " + base64(user:password).
// Only the first ':' splits, since a password may contain colons.
std::optional<BasicCredentials> basic_credentials(std::string_view authorization) {
    if (!authorization.starts_with("Basic ")) return std::nullopt;
    std::string decoded = base64_decode(authorization.substr(6));
    size_t colon = decoded.find(':');
    if (colon == std::string::npos) return std::nullopt;
    return BasicCredentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

// Constant-time comparison: the loop always runs over the whole given secret and only ORs the
// differences, so the response time does not reveal how many leading characters were right.
bool same_secret(std::string_view given, std::string_view expected) {
    unsigned char differ = given.size() == expected.size() ? 0 : 1;
    for (size_t i = 0; i < given.size(); ++i)
        differ |= static_cast<unsigned char>(given[i] ^ expected[i % (expected.empty() ? 1 : expected.size())]);
    return differ == 0 && !expected.empty();
}

HttpResponse unauthorized(std::string_view reason) {
    boost::json::object body{{"error", "not_authorised"}, {"reason", reason}};
    return {401, "application/json", boost::json::serialize(body)};
}

HttpResponse trace_switch(const HttpRequest& request, bool& tracing) {
    if (request.method == "PUT") {
        boost::system::error_code ec;
        boost::json::value body = boost::json::parse(request.body, ec);
        const boost::json::value* flag = !ec && body.is_object() ? body.get_object().if_contains("trace") : nullptr;
        if (!flag || !flag->is_bool())
            return {400, "application/json", R"({"error":"bad_request","reason":"expected {\"trace\":true|false}"})"};
        tracing = flag->get_bool();
    } else if (request.method != "GET") {
        return {405, "application/json", R"({"error":"method_not_allowed","reason":"GET or PUT"})"};
    }
    return {200, "application/json", tracing ? R"({"trace":true})" : R"({"trace":false})"};
}

uint16_t start_admin_http(asio::io_context& io, const std::string& bind, uint16_t port, const Metrics& metrics,
                          ApiHandler api, AdminExtras extras) {
    auto acceptor = std::make_shared<tcp::acceptor>(net::listen(io, bind, port, "admin http"));
    uint16_t bound = acceptor->local_endpoint().port();
    // The handler owns the acceptor and the handlers: they live as long as the accept loop.
    // (Spawned from here, not awaited inside another coroutine: GCC 12 destroys temporaries of a
    // co_await expression twice when the io_context tears a suspended coroutine down.)
    auto handlers = std::make_shared<Handlers>(Handlers{std::move(api), std::move(extras)});
    net::ConnectionHandler handler = [acceptor, handlers, &metrics](tcp::socket socket) {
        return serve_http(beast::tcp_stream(std::move(socket)), metrics, handlers);
    };
    asio::co_spawn(io, net::accept_loop(*acceptor, std::move(handler)), asio::detached);
    return bound;
}

}  // namespace mb
