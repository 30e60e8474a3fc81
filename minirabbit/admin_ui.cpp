// CONCEPT: RabbitMQ's own management UI, served by minirabbit - a browser app that only speaks
// the management HTTP API, so a broker that answers that API in RabbitMQ's shapes can wear it.
//
//   browser ──GET /, /js/main.js, /css/main.css──▶ admin port ──▶ serve_management_ui (files)
//      │                                                          (--management-ui DIR)
//      └─────XHR GET /api/overview, /api/queues ...─▶ admin port ──▶ handle_admin_request (JSON)
//
// The UI is the rabbitmq_management plugin's priv/www directory: static HTML, JavaScript
// (jQuery, Sammy routes, EJS templates) and CSS. Everything it shows it fetches from /api with
// the credentials typed at its login form (HTTP Basic auth). So serving it takes no more than
// handing out files; the real work is the API answering every field the templates read (see
// admin_api.cpp and docs/minirabbit/README.md, "Looking inside", for which tabs render).
//
// The files are not ours to copy into the repository: Debian's rabbitmq-server package installs
// them, and scripts/run.sh finds that directory and passes it with --management-ui. Without the
// option GET / answers a short page that says how to get the UI.
//
// A file request is untrusted input: the path is percent-decoded, and any ".." segment, a
// backslash or a NUL is refused, so no request can read outside the directory.
// READ NEXT: admin_api.cpp (what the UI's XHRs reach).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "admin_api.hpp"

namespace minirabbit {

namespace {

// The content types the UI's files need; browsers refuse scripts and styles served as anything else.
std::string_view content_type_of(std::string_view path) {
    auto ends = [&](std::string_view ext) { return path.ends_with(ext); };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".js")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".png")) return "image/png";
    if (ends(".gif")) return "image/gif";
    if (ends(".svg")) return "image/svg+xml";
    if (ends(".ico")) return "image/x-icon";
    if (ends(".json")) return "application/json";
    if (ends(".ejs") || ends(".txt")) return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

// The built-in page shown when no UI directory was given.
constexpr std::string_view kNoUiPage = R"(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>minirabbit</title></head>
<body style="font-family: sans-serif; font-size: 1.3em; max-width: 44em; margin: 2em auto">
<h1>minirabbit admin port</h1>
<p>This port answers RabbitMQ's management HTTP API under <code>/api</code> (try
<code>rabbitmqadmin list queues</code>), Prometheus metrics under <code>/metrics</code> and
<code>/healthz</code>.</p>
<p>RabbitMQ's own management UI can run on it too. Its files ship with Debian's
<code>rabbitmq-server</code> package; start minirabbit with
<code>--management-ui DIR</code>, where DIR is the directory holding the UI's
<code>index.html</code>:</p>
<pre>dpkg -L rabbitmq-server | grep 'priv/www/index.html'</pre>
<p><code>scripts/run.sh</code> finds and passes it for you.</p>
</body></html>
)";

}  // namespace

mb::HttpResponse serve_management_ui(const std::string& directory, const mb::HttpRequest& request) {
    if (request.method != "GET" && request.method != "HEAD") return {405, "text/plain", "method not allowed\n"};
    std::string path = percent_decode(request.target.substr(0, request.target.find_first_of("?#")));
    if (directory.empty()) {
        if (path == "/" || path == "/index.html") return {200, "text/html; charset=utf-8", std::string(kNoUiPage)};
        return {404, "text/plain", "not found\n"};
    }
    if (path.empty() || path == "/") path = "/index.html";
    // Refuse anything that could step outside the directory.
    if (path.front() != '/' || path.find('\\') != std::string::npos || path.find('\0') != std::string::npos ||
        path.find("/../") != std::string::npos || path.ends_with("/.."))
        return {404, "text/plain", "not found\n"};
    std::error_code ec;
    if (!std::filesystem::is_regular_file(directory + path, ec)) return {404, "text/plain", "not found\n"};
    std::ifstream file(directory + path, std::ios::binary);
    std::ostringstream body;
    body << file.rdbuf();
    if (!file) return {404, "text/plain", "not found\n"};
    return {200, std::string(content_type_of(path)), std::move(body).str()};
}

}  // namespace minirabbit
