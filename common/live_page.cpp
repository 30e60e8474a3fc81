// CONCEPT: a live lecture page on every admin port, and what the three share. Each server's page
// (miniredis/admin_page.cpp, minikafka/admin_page.cpp, minirabbit/admin_page.cpp) is a few HTML
// sections and a script that polls its own /api; everything else is here, written once:
//
//   ┌ header ─ "minirabbit  healthy" ─────────── other brokers: miniredis · minikafka ┐
//   │ the server's sections  (cards, tables, the exchange graph ...)                  │
//   │   h2 "Queues" ............................................ docs: 01 §6 ->      │  data-doc links
//   ├ trace panel ─ [x] trace on ──────────────────────────────────────────────────────┤
//   │ basic.publish exchange=orders(topic) key=eu.new -> binding eu.* -> queue ...    │  /api/trace/lines
//   └──────────────────────────────────────────────────────────────────────────────────┘
//
// The document is self-contained - CSS and JavaScript inline, compiled into the binary, no CDN,
// no build step - so a lecture needs the binary and a browser, nothing else. It is assembled once
// at start from string_views (live_page() below); the admin endpoint hands out the same bytes.
//
// The shared script (kScript) gives each page:
//   live.getJson(path)      fetch + JSON, with live.auth as Authorization when set (minirabbit)
//   live.el / fillTable / table    DOM built with textContent only, never innerHTML: a queue named
//                           "<script>" is shown, not run
//   live.human(bytes)       1536 -> "1.5 KB"
//   live.rate()             a counter -> per-second rate between two polls (Prometheus' rate())
//   live.sparkline(svg)     the last minute of a number as a line, readable from the back row
//   live.start(polls)       one poll a second, each endpoint on its own: one failing (a 404, a
//                           401) does not blank the others; errors show next to the title
// and on its own: the --trace panel (polls /api/trace/lines, trace_ring.hpp; the checkbox PUTs
// /api/trace), the links to the other two servers' pages (the ports scripts/run.sh uses, shifted by
// the same --port-offset as this one, or #miniredis=PORT in the URL), and the docs links: an
// element with data-doc="minirabbit/01-follow-a-publish.md" data-doc-label="01 §5 routing" gets a
// link to that chapter, served by the admin endpoint itself (admin_http.cpp, docs_file).
//
// READ NEXT: miniredis/admin_page.cpp (the smallest page), minirabbit/admin_page.cpp (the graph).
#include "live_page.hpp"

namespace mb {
namespace {

// Shared CSS: big type for a projector, the trace panel fixed at the bottom of the window.
constexpr std::string_view kStyle = R"css(
  body { font-family: system-ui, sans-serif; margin: 1.5em 1.5em 30vh 1.5em; background: #fafafa; color: #222; }
  header { display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; }
  h1 { margin: 0 0 .5em 0; }
  h2 { margin: 1.2em 0 .3em 0; font-size: 1.3em; }
  h3 { margin: .8em 0 .2em 0; }
  nav a, a.doc { margin-left: .8em; color: #36c; }
  a.doc { font-size: .75em; font-weight: normal; }
  .cards { display: flex; flex-wrap: wrap; gap: 1em; }
  .card { background: white; border: 1px solid #ddd; border-radius: 8px; padding: .6em 1em; min-width: 9em; }
  .card .label { color: #666; font-size: .9em; }
  .card .big { font-size: 2.4em; font-weight: bold; }
  table { border-collapse: collapse; background: white; margin-bottom: .5em; }
  td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: left; font-family: monospace; font-size: 1.1em; }
  #health.ok { color: #080; }  #health.bad { color: #c00; font-weight: bold; }
  svg.spark polyline { fill: none; stroke: #c33; stroke-width: 2; }
  #trace-panel { position: fixed; left: 0; right: 0; bottom: 0; height: 25vh; background: #111; color: #ddd;
                 border-top: 3px solid #444; display: flex; flex-direction: column; }
  #trace-panel .bar { padding: .2em 1em; font-size: .95em; color: #aaa; }
  #trace-lines { flex: 1; overflow-y: auto; margin: 0; padding: .2em 1em; font-size: 1em; white-space: pre-wrap; }
)css";

constexpr std::string_view kScript = R"js(
"use strict";
const $ = (id) => document.getElementById(id);
const live = {
  auth: null,  // an Authorization header value, when the API needs one (minirabbit)

  // A new element with text (textContent: data is never parsed as HTML).
  el(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (className) e.className = className;
    return e;
  },
  // Replaces a <tbody>'s rows with `rows` (arrays of cell values).
  fillTable(tbody, rows) {
    tbody.replaceChildren(...rows.map((cells) => {
      const tr = live.el("tr");
      for (const c of cells) tr.appendChild(live.el("td", c));
      return tr;
    }));
  },
  // A <table> from a header row and data rows; the cells of column `bigColumn` get class "lag"
  // (big type: the number the room should read, e.g. a consumer group's lag).
  table(headers, rows, bigColumn) {
    const t = live.el("table"), head = live.el("tr");
    for (const h of headers) head.appendChild(live.el("th", h));
    t.appendChild(head);
    for (const r of rows) {
      const tr = live.el("tr");
      r.forEach((c, i) => tr.appendChild(live.el("td", c, i === bigColumn ? "lag" : "")));
      t.appendChild(tr);
    }
    return t;
  },
  // Bytes for humans: 1536 -> "1.5 KB".
  human(bytes) {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return (i ? bytes.toFixed(1) : Math.round(bytes)) + " " + units[i];
  },
  async getJson(path, options) {
    const init = Object.assign({ cache: "no-store", headers: {} }, options || {});
    if (live.auth) init.headers.Authorization = live.auth;
    const r = await fetch(path, init);
    if (!r.ok) { const e = new Error(path + ": HTTP " + r.status); e.status = r.status; throw e; }
    return r.json();
  },
  // A counter (a total since start) into a per-second rate: the difference between two polls
  // divided by the time between them - what Prometheus' rate() does, done in the browser.
  rate() {
    let previous = null;
    return (total) => {
      const now = performance.now();
      const perSecond = previous && now > previous.at ? (total - previous.total) * 1000 / (now - previous.at) : 0;
      previous = { at: now, total };
      return Math.max(0, perSecond);
    };
  },
  // The last 60 readings (a minute at one poll a second) as a line in an <svg class="spark">.
  sparkline(svg) {
    const history = [], line = svg.querySelector("polyline");
    const w = Number(svg.getAttribute("width")), h = Number(svg.getAttribute("height"));
    return (value) => {
      history.push(value);
      if (history.length > 60) history.shift();
      const max = Math.max(1, ...history);
      line.setAttribute("points", history.map((v, i) =>
        (i * w / 59).toFixed(1) + "," + (h - 1 - v / max * (h - 2)).toFixed(1)).join(" "));
    };
  },
  health(problem) {
    $("health").textContent = problem ? "UNHEALTHY: " + problem : "healthy";
    $("health").className = problem ? "bad" : "ok";
  },
  showError(e) { $("health").textContent = "no answer: " + e.message; $("health").className = "bad"; },
  // One poll a second; each endpoint on its own, so one failing does not blank the others.
  start(polls) {
    const tick = () => { for (const poll of [...polls, pollTrace]) poll().catch(live.showError); };
    tick();
    setInterval(tick, 1000);
  },
};

// The --trace panel: the lines the server printed since the last poll (/api/trace/lines keeps the
// last 512; a panel that fell behind is told how many it missed). The DOM keeps 300 lines.
let traceAfter = 0;
async function pollTrace() {
  const t = await live.getJson("/api/trace/lines?after=" + traceAfter);
  $("trace-on").checked = t.trace;
  const pre = $("trace-lines");
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  if (t.skipped) pre.appendChild(live.el("div", "(" + t.skipped + " lines skipped)"));
  for (const line of t.lines) pre.appendChild(live.el("div", line, "trace-line"));
  while (pre.childElementCount > 300) pre.firstElementChild.remove();
  traceAfter = t.next;
  if (atBottom) pre.scrollTop = pre.scrollHeight;  // follow the tail unless the reader scrolled up
}
$("trace-on").addEventListener("change", (e) => {
  live.getJson("/api/trace", { method: "PUT", body: JSON.stringify({ trace: e.target.checked }) })
    .catch(live.showError);
});

// Links to the other two servers' pages: scripts/run.sh's admin ports, shifted by the offset this
// page's own port has from its default (run.sh --port-offset shifts all three alike), unless the
// URL says otherwise (#minikafka=8002).
(function peers() {
  const defaults = { miniredis: 16379, minirabbit: 15672, minikafka: 19092 };
  const self = document.body.dataset.server;
  const given = new URLSearchParams(location.hash.slice(1));
  const offset = Number(location.port || 80) - defaults[self];
  for (const [name, port] of Object.entries(defaults)) {
    if (name === self) continue;
    const a = live.el("a", name);
    a.href = location.protocol + "//" + location.hostname + ":" + (Number(given.get(name)) || port + offset) + "/live";
    $("peers").appendChild(a);
  }
})();

// Docs links: every element with data-doc gets a link to that chapter (served under /docs/).
for (const e of document.querySelectorAll("[data-doc]")) {
  const a = live.el("a", "docs: " + (e.dataset.docLabel || e.dataset.doc), "doc");
  a.href = "/docs/" + e.dataset.doc;
  a.target = "_blank";
  e.appendChild(a);
}
)js";

}  // namespace

std::string live_page(const LivePage& page) {
    std::string html;
    html.reserve(kStyle.size() + kScript.size() + page.style.size() + page.body.size() + page.script.size() + 1024);
    html += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
    html += page.server;
    html += " - live</title>\n<style>";
    html += kStyle;
    html += page.style;
    html += "</style>\n</head>\n<body data-server=\"";
    html += page.server;
    html += "\">\n<header><h1><span id=\"title\">";
    html += page.server;
    html += "</span> <small id=\"health\">...</small></h1><nav id=\"peers\">other brokers:</nav></header>\n";
    html += page.body;
    html +=
        "\n<section id=\"trace-panel\"><div class=\"bar\" data-doc=\"architecture.md\" data-doc-label=\"the trace "
        "format\"><label><input type=\"checkbox\" id=\"trace-on\"> --trace</label> the server's narration, one line "
        "per step</div><pre id=\"trace-lines\"></pre></section>\n<script>";
    html += kScript;
    html += "</script>\n<script>\n\"use strict\";\n";
    html += page.script;
    html += "</script>\n</body>\n</html>\n";
    return html;
}

}  // namespace mb
