// CONCEPT: a live lecture page - GET / on the admin port (GET /live when --management-ui puts
// RabbitMQ's own UI on /). minirabbit's sections of the page the three servers share
// (common/live_page.cpp: the frame, the helpers, the --trace panel, the docs and peer links).
//
// The lesson of AMQP is a routing graph, so the page draws it, live, as SVG:
//
//    exchanges               bindings (routing keys)            queues
//   ┌──────────────┐                                      ┌───────────────────────────┐
//   │ orders topic │──────────── eu.* ──────────────────▶ │ eu-orders  ready 12 ▇▇▇▇  │
//   └──────────────┘╲                                     │ unacked 3  consumers 1    │
//                    ╲────────── # ─────────────────────▶ │ in 40/s  out 38/s         │
//                                                         └───────────────────────────┘
//
// Every second it polls the management API (admin_api.cpp, RabbitMQ's shapes, which also feed
// rabbitmqadmin and RabbitMQ's UI): /api/exchanges, /api/bindings and /api/queues for the graph,
// /api/channels and /api/connections for the tables, /api/overview for the cards. RabbitMQ's API
// reports totals (message_stats.publish, deliver_get), so rates are computed here, between two
// polls (live.rate), per queue; an edge into a queue that is receiving thickens and its dashes flow.
// Each binding is an SVG <g class="binding" data-source=.. data-destination=.. data-key=..>: the
// test (tests/minirabbit/live_page_test.py) finds the binding pika made by those attributes.
//
// The API wants an administrator (a trace shows everyone's traffic): the page sends guest/guest,
// RabbitMQ's default, or what the login box or #user=...&password=... in the URL gives it.
// READ NEXT: admin_api.cpp (what is polled), model/vhost.cpp (how a publish walks this graph).
#include "admin_api.hpp"
#include "live_page.hpp"

namespace minirabbit {
namespace {

constexpr std::string_view kStyle = R"css(
  #graph { background: white; border: 1px solid #ddd; border-radius: 8px; }
  #graph rect.exchange { fill: #eef3ff; stroke: #36c; stroke-width: 2; }
  #graph rect.queue { fill: #f3fff0; stroke: #393; stroke-width: 2; }
  #graph rect.ready { fill: #393; }  #graph rect.unacked { fill: #e90; }
  #graph text { font-family: monospace; font-size: 14px; }
  #graph text.name { font-weight: bold; font-size: 16px; }
  #graph path { fill: none; stroke: #888; }
  #graph path.flowing { stroke: #36c; stroke-dasharray: 8 6; animation: flow 1s linear infinite; }
  @keyframes flow { to { stroke-dashoffset: -14; } }
  #graph text.key { fill: #36c; }
  #login[hidden] { display: none; }
)css";

constexpr std::string_view kBody = R"html(
<form id="login" hidden>The management API wants an administrator:
  user <input id="user" size="10"> password <input id="password" type="password" size="10"> <button>log in</button>
</form>
<div class="cards">
  <div class="card"><div class="label">publish/s</div><div class="big" id="pub">-</div>
    <svg class="spark" id="spark" width="160" height="30"><polyline points=""/></svg></div>
  <div class="card"><div class="label">deliver/s</div><div class="big" id="del">-</div></div>
  <div class="card"><div class="label">ready</div><div class="big" id="ready">-</div></div>
  <div class="card"><div class="label">unacked</div><div class="big" id="unacked">-</div></div>
  <div class="card"><div class="label">connections</div><div class="big" id="nconn">-</div></div>
</div>

<h2 data-doc="minirabbit/01-follow-a-publish.md" data-doc-label="01 §5 routing">Exchanges → bindings → queues</h2>
<svg id="graph" width="960" height="80"></svg>

<h2 data-doc="minirabbit/01-follow-a-publish.md" data-doc-label="01 §6-9 queue, dispatch, ack">Queues</h2>
<table><thead><tr><th>vhost</th><th>queue</th><th>ready</th><th>unacked</th><th>consumers</th><th>publish/s</th>
  <th>deliver/s</th><th>policy</th></tr></thead><tbody id="queues"></tbody></table>

<h2 data-doc="minirabbit/01-follow-a-publish.md" data-doc-label="01 §8 back-pressure">Channels</h2>
<table><thead><tr><th>channel</th><th>user</th><th>prefetch</th><th>unacked</th><th>consumers</th><th>mode</th>
  </tr></thead><tbody id="channels"></tbody></table>

<h2 data-doc="minirabbit/README.md" data-doc-label="README: the management UI">Connections</h2>
<table><thead><tr><th>connection</th><th>user</th><th>vhost</th><th>channels</th><th>state</th></tr></thead>
  <tbody id="connections"></tbody></table>
<p>RabbitMQ's own management UI: <a href="/index.html">/index.html</a> (with <code>--management-ui</code>).</p>
)html";

constexpr std::string_view kScript = R"js(
// Credentials: #user=..&password=.. in the URL, else what the login box stored, else guest/guest.
const given = new URLSearchParams(location.hash.slice(1));
function login(user, password) {
  live.auth = "Basic " + btoa(user + ":" + password);
  sessionStorage.setItem("minirabbit-auth", live.auth);
}
if (given.get("user")) login(given.get("user"), given.get("password") || "");
else live.auth = sessionStorage.getItem("minirabbit-auth") || "Basic " + btoa("guest:guest");
$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  login($("user").value, $("password").value);
  $("login").hidden = true;
});
// A 401 anywhere shows the login box (and the usual "no answer" next to the title).
function guarded(poll) {
  return () => poll().catch((e) => { if (e.status === 401) $("login").hidden = false; throw e; });
}

const spark = live.sparkline($("spark"));
const publishRate = live.rate(), deliverRate = live.rate();
async function pollOverview() {
  const o = await live.getJson("/api/overview");
  const stats = o.message_stats || {}, totals = o.queue_totals || {};
  const pub = publishRate(stats.publish || 0);
  $("pub").textContent = Math.round(pub);
  spark(pub);
  $("del").textContent = Math.round(deliverRate(stats.deliver_get || 0));
  $("ready").textContent = totals.messages_ready ?? 0;
  $("unacked").textContent = totals.messages_unacknowledged ?? 0;
  $("nconn").textContent = (o.object_totals || {}).connections ?? 0;
  $("title").textContent = "minirabbit " + (o.node || "");
  live.health("");
}

// Rates per queue: one live.rate() pair per queue, kept across polls by "vhost/name".
const queueRates = new Map();
function ratesOf(q) {
  const id = q.vhost + "/" + q.name;
  if (!queueRates.has(id)) queueRates.set(id, { pub: live.rate(), del: live.rate() });
  const r = queueRates.get(id), s = q.message_stats || {};
  return { pub: r.pub(s.publish || 0), del: r.del(s.deliver_get || 0) };
}

// ---- the graph -------------------------------------------------------------------------------
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;  // textContent: names are data, never markup
  return e;
}
const ROW = 64, EX_X = 10, EX_W = 250, Q_X = 620, Q_W = 320;

// Exchanges to draw: every one but the default exchange (it binds every queue by its name, which
// would hide the real bindings) and the predeclared amq.* ones nobody bound anything to.
// Returns the queues' rates of this poll, for the table.
function drawGraph(exchanges, bindings, queues) {
  const edges = bindings.filter((b) => b.source !== "");
  const used = new Set(edges.map((b) => b.vhost + "/" + b.source));
  const shown = exchanges.filter((e) => e.name !== "" && (!e.name.startsWith("amq.") || used.has(e.vhost + "/" + e.name)));
  const exY = new Map(), qY = new Map();
  shown.forEach((e, i) => exY.set(e.vhost + "/" + e.name, 10 + i * ROW));
  queues.forEach((q, i) => qY.set(q.vhost + "/" + q.name, 10 + i * ROW));
  const g = $("graph");
  g.setAttribute("height", Math.max(80, 20 + Math.max(shown.length, queues.length) * ROW));
  g.replaceChildren();

  const maxDepth = Math.max(1, ...queues.map((q) => q.messages_ready + q.messages_unacknowledged));
  const rates = new Map(queues.map((q) => [q.vhost + "/" + q.name, ratesOf(q)]));

  // Edges first, so the boxes are drawn over their ends.
  for (const b of edges) {
    const from = exY.get(b.vhost + "/" + b.source);
    const toId = b.vhost + "/" + b.destination;
    const to = b.destination_type === "queue" ? qY.get(toId) : exY.get(toId);
    if (from === undefined || to === undefined) continue;
    const x1 = EX_X + EX_W, y1 = from + 25;
    const [x2, y2] = b.destination_type === "queue" ? [Q_X, to + 25] : [EX_X + EX_W, to + 35];
    const bend = b.destination_type === "queue" ? (x2 - x1) / 2 : 120;  // exchange-to-exchange loops right
    const group = svg("g", { class: "binding", "data-vhost": b.vhost, "data-source": b.source,
                             "data-destination": b.destination, "data-destination-type": b.destination_type,
                             "data-key": b.routing_key });
    const rate = b.destination_type === "queue" ? (rates.get(toId) || { pub: 0 }).pub : 0;
    group.appendChild(svg("path", { d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - (b.destination_type === "queue" ? bend : -bend)},${y2} ${x2},${y2}`,
                                    "stroke-width": (1.5 + Math.min(6, Math.log2(1 + rate))).toFixed(1),
                                    class: rate > 0 ? "flowing" : "", "marker-end": "url(#arrow)" }));
    // The key sits near the queue end (where the curve is at t = 3/4), so the labels of one
    // exchange's edges do not pile up where they leave it.
    const label = b.destination_type === "queue"
      ? { x: x2 - 14, y: (0.156 * y1 + 0.844 * y2 - 5).toFixed(1), "text-anchor": "end" }
      : { x: x1 + 95, y: (y1 + y2) / 2 + 4, "text-anchor": "start" };
    group.appendChild(svg("text", Object.assign(label, { class: "key" }),
                          b.routing_key === "" ? "(empty key)" : b.routing_key));
    g.appendChild(group);
  }
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 8, markerHeight: 8,
                                 orient: "auto-start-reverse" });
  marker.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#888" }));
  defs.appendChild(marker);
  g.appendChild(defs);

  for (const e of shown) {
    const y = exY.get(e.vhost + "/" + e.name);
    const box = svg("g", { class: "exchange", "data-name": e.name, "data-vhost": e.vhost });
    box.appendChild(svg("rect", { x: EX_X, y, width: EX_W, height: 50, rx: 8, class: "exchange" }));
    box.appendChild(svg("text", { x: EX_X + 10, y: y + 21, class: "name" }, e.name));
    box.appendChild(svg("text", { x: EX_X + 10, y: y + 40 }, e.type + (e.vhost !== "/" ? "  vhost " + e.vhost : "")));
    g.appendChild(box);
  }
  for (const q of queues) {
    const id = q.vhost + "/" + q.name, y = qY.get(id), r = rates.get(id);
    const box = svg("g", { class: "queue", "data-name": q.name, "data-vhost": q.vhost,
                           "data-ready": q.messages_ready, "data-unacked": q.messages_unacknowledged });
    box.appendChild(svg("rect", { x: Q_X, y, width: Q_W, height: 56, rx: 8, class: "queue" }));
    box.appendChild(svg("text", { x: Q_X + 10, y: y + 18, class: "name" }, q.name));
    box.appendChild(svg("text", { x: Q_X + 10, y: y + 35 },
      "ready " + q.messages_ready + "  unacked " + q.messages_unacknowledged + "  consumers " + q.consumers));
    box.appendChild(svg("text", { x: Q_X + 10, y: y + 51 }, "in " + r.pub.toFixed(0) + "/s  out " + r.del.toFixed(0) + "/s"));
    // The depth bar: ready (green) then unacked (orange), scaled to the deepest queue shown.
    const readyW = 100 * q.messages_ready / maxDepth, unackedW = 100 * q.messages_unacknowledged / maxDepth;
    box.appendChild(svg("rect", { x: Q_X + Q_W - 110, y: y + 40, width: readyW.toFixed(1), height: 10, class: "ready" }));
    box.appendChild(svg("rect", { x: (Q_X + Q_W - 110 + readyW).toFixed(1), y: y + 40, width: unackedW.toFixed(1),
                                  height: 10, class: "unacked" }));
    g.appendChild(box);
  }
  return rates;
}

async function pollGraph() {
  const [exchanges, bindings, queues] = await Promise.all(
    ["/api/exchanges", "/api/bindings", "/api/queues"].map((p) => live.getJson(p)));
  const rates = drawGraph(exchanges, bindings, queues);  // rates: once per poll, shared with the table
  live.fillTable($("queues"), queues.map((q) => {
    const r = rates.get(q.vhost + "/" + q.name);
    return [q.vhost, q.name, q.messages_ready, q.messages_unacknowledged, q.consumers, r.pub.toFixed(1),
            r.del.toFixed(1), q.policy || ""];
  }));
}
async function pollSessions() {
  const [channels, connections] = await Promise.all([live.getJson("/api/channels"), live.getJson("/api/connections")]);
  live.fillTable($("channels"), channels.map((c) => [c.name, c.user,
    c.prefetch_count + (c.global_prefetch_count ? " (global " + c.global_prefetch_count + ")" : ""),
    c.messages_unacknowledged, c.consumer_count, c.confirm ? "confirm" : c.transactional ? "tx" : ""]));
  live.fillTable($("connections"), connections.map((c) => [c.name, c.user, c.vhost, c.channels, c.state]));
}

live.start([guarded(pollOverview), guarded(pollGraph), guarded(pollSessions)]);
)js";

}  // namespace

const std::string& admin_page() {
    static const std::string page = mb::live_page({"minirabbit", kStyle, kBody, kScript});
    return page;
}

}  // namespace minirabbit
