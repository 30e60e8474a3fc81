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

#include <cctype>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base64.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "trace_ring.hpp"

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
    } else if (!extras.index_html.empty() && (path == "/live" || (path == "/" && extras.index_at_root))) {
        out = {200, "text/html; charset=utf-8", std::string(extras.index_html)};
    } else if (path.starts_with("/docs/") && req.method() == http::verb::get) {
        out = docs_file(path.substr(6));
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

HttpResponse trace_api(const HttpRequest& request, bool& tracing) {
    std::string_view path = request.target.substr(0, request.target.find('?'));
    if (path == "/api/trace") return trace_switch(request, tracing);
    if (path != "/api/trace/lines") return {404, "application/json", R"({"error":"not found"})"};
    if (request.method != "GET") return {405, "application/json", R"({"error":"method_not_allowed","reason":"GET"})"};
    uint64_t after = 0;  // ?after=N: the last line the reader has
    std::string_view query = path.size() < request.target.size() ? request.target.substr(path.size() + 1) : "";
    if (query.starts_with("after=")) {
        std::string_view digits =
            query.substr(6, query.find('&') == std::string_view::npos ? std::string_view::npos : query.find('&') - 6);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), after);
        if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
            return {400, "application/json", R"({"error":"bad_request","reason":"after must be a line number"})"};
    }
    trace::Recent recent = trace::since(after, 200);
    boost::json::array lines;
    for (auto& line : recent.lines) lines.emplace_back(line);
    boost::json::object body{{"trace", tracing}, {"next", recent.next}, {"skipped", recent.skipped}, {"lines", lines}};
    // A traced key or message body may hold any bytes; serialize() would emit them raw, so
    // invalid UTF-8 is replaced the way a browser would show it.
    std::string text = boost::json::serialize(body);
    for (size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) continue;
        size_t n = c >= 0xF5 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;  // lead byte -> length
        bool ok = n > 0 && i + n <= text.size();
        for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (ok) {
            i += n - 1;
        } else {
            text[i] = '?';
        }
    }
    return {200, "application/json", std::move(text)};
}

HttpResponse docs_file(std::string_view path) {
    // "<chapter>.md" or "<server>/<chapter>.md": letters, digits, '-' and '_' only, so nothing can leave docs/.
    auto plain = [](std::string_view name) {
        if (name.empty()) return false;
        for (char c : name)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
        return true;
    };
    if (!path.ends_with(".md")) return {404, "text/plain", "not found\n"};
    std::string_view stem = path.substr(0, path.size() - 3);
    size_t slash = stem.find('/');
    bool valid = slash == std::string_view::npos ? plain(stem)  // docs/architecture.md
                                                 : plain(stem.substr(0, slash)) && plain(stem.substr(slash + 1));
    if (!valid) return {404, "text/plain", "not found\n"};
    std::string file = std::string(MB_DOCS_DIR) + "/" + std::string(path);
    std::ifstream in(file, std::ios::binary);
    if (!in) return {404, "text/plain", "docs/" + std::string(path) + " is in the minibrokers repository\n"};
    std::ostringstream text;
    text << in.rdbuf();
    return {200, "text/plain; charset=utf-8", std::move(text).str()};
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
