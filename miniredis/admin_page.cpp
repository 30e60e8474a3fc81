// CONCEPT: a live lecture page - GET / on the admin port. miniredis' sections of the page the
// three servers share (common/live_page.cpp: the frame, the helpers, the --trace panel, the links
// to the docs and to the other brokers), compiled into the binary: `miniredis --admin-port 8001`
// and a browser on http://127.0.0.1:8001/ are all a lecture needs.
//
//   every second:  fetch /api/overview, /api/clients, /api/slowlog   (admin_api.cpp)
//                  fetch /api/keys/<watched key>                     (the "watch key" box)
//                  fetch /api/trace/lines                            (the shared trace panel)
//   every 100 ms:  the watched key's TTL counts down between two polls
//
// The page only reads: it polls the same JSON a curl user gets, and draws it with textContent
// (never innerHTML), so a key named "<script>" is shown, not run. Big numbers for the back row;
// a sparkline of ops/s so "redis-benchmark started" is visible from across the room.
// `#watch=session:42` in the URL pre-fills the watch box (handy in a lecture, and for the test
// that loads this page in headless Chromium: tests/miniredis/live_page_test.py).
//
// READ NEXT: admin_api.cpp (the endpoints polled here), minikafka/admin_page.cpp (the same idea).
#include "admin_api.hpp"
#include "live_page.hpp"

namespace miniredis {
namespace {

constexpr std::string_view kStyle = R"css(
  #watch-result { font-size: 2em; font-family: monospace; }
  .gone { color: #c00; }
)css";

constexpr std::string_view kBody = R"html(
<div class="cards">
  <div class="card"><div class="label">ops/s</div><div class="big" id="ops">-</div>
    <svg class="spark" id="spark" width="160" height="30"><polyline points=""/></svg></div>
  <div class="card"><div class="label">keys</div><div class="big" id="keys">-</div></div>
  <div class="card"><div class="label">memory used</div><div class="big" id="mem">-</div>
    <div class="label" id="maxmem"></div></div>
  <div class="card"><div class="label">clients</div><div class="big" id="nclients">-</div></div>
</div>

<h2 data-doc="miniredis/01-follow-a-set.md" data-doc-label="01 §9 expiry">Watch a key</h2>
<form id="watch-form">key <input id="watch-key" size="24"> db <input id="watch-db" size="2" value="0">
  <button>watch</button></form>
<div id="watch-result"></div>

<h2 data-doc="miniredis/01-follow-a-set.md" data-doc-label="01 §5 the keyspace">Keyspace</h2>
<table><thead><tr><th>db</th><th>keys</th><th>with TTL</th></tr></thead><tbody id="keyspace"></tbody></table>

<h2 data-doc="miniredis/06-looking-inside.md" data-doc-label="06 CLIENT LIST">Clients</h2>
<table><thead><tr><th>id</th><th>addr</th><th>name</th><th>db</th><th>idle s</th><th>last command</th></tr></thead>
  <tbody id="clients"></tbody></table>

<h2 data-doc="miniredis/02-persistence-formats.md" data-doc-label="02 the AOF and the snapshot">Persistence</h2>
<table><tbody id="persistence"></tbody></table>

<h2 data-doc="miniredis/06-looking-inside.md" data-doc-label="06 SLOWLOG">Slowlog</h2>
<table><thead><tr><th>id</th><th>when</th><th>&micro;s</th><th>command</th><th>client</th></tr></thead>
  <tbody id="slowlog"></tbody></table>
)html";

constexpr std::string_view kScript = R"js(
const spark = live.sparkline($("spark"));

// /api/overview: the big numbers, keys per database, AOF and snapshot state (INFO's fields).
async function pollOverview() {
  const o = await live.getJson("/api/overview");
  $("ops").textContent = Math.round(o.ops_per_sec);
  spark(o.ops_per_sec);
  $("keys").textContent = o.keyspace.reduce((n, db) => n + db.keys, 0);
  $("mem").textContent = live.human(o.used_memory);
  $("maxmem").textContent = o.maxmemory ? "maxmemory " + live.human(o.maxmemory) + " (" + o.maxmemory_policy + ")"
                                        : "no maxmemory";
  $("nclients").textContent = o.connected_clients;
  live.health(o.health);
  live.fillTable($("keyspace"), o.keyspace.map((db) => ["db" + db.db, db.keys, db.expires]));
  const p = o.persistence;
  live.fillTable($("persistence"), [
    ["AOF", p.aof_enabled ? "on, appendfsync " + p.appendfsync : "off"],
    ["AOF size", live.human(p.aof_current_size) + " (after last rewrite " + live.human(p.aof_base_size) + ")"],
    ["fsyncs so far", p.aof_fsyncs],
    ["AOF rewrite in progress", p.aof_rewrite_in_progress ? "YES" : "no"],
    ["snapshot in progress", p.rdb_bgsave_in_progress ? "YES" : "no"],
    ["last snapshot", p.rdb_last_save_time ? new Date(p.rdb_last_save_time * 1000).toLocaleTimeString() : "never"],
    ["changes since last snapshot", p.rdb_changes_since_last_save],
  ]);
}

// /api/clients: who is connected and what each one ran last (CLIENT LIST's cmd=).
async function pollClients() {
  const cs = await live.getJson("/api/clients");
  live.fillTable($("clients"), cs.map((c) => [c.id, c.addr, c.name, c.db, c.idle_s, c.cmd]));
}

// /api/slowlog: newest first, as SLOWLOG GET.
async function pollSlowlog() {
  const s = await live.getJson("/api/slowlog");
  live.fillTable($("slowlog"), s.slice(0, 10).map((e) =>
    [e.id, new Date(e.time * 1000).toLocaleTimeString(), e.duration_us, e.args.join(" "), e.client]));
}

// The watch box: poll the key once a second; between polls, count its TTL down locally every
// 100 ms from the moment we got it, so the number moves smoothly on the projector.
let watched = null;       // {key, db}
let lastKey = null;       // the last /api/keys answer
let lastKeyAt = 0;        // when it arrived (performance.now(), ms)
async function pollKey() {
  if (!watched) return;
  lastKey = await live.getJson("/api/keys/" + encodeURIComponent(watched.key) + "?db=" + watched.db);
  lastKeyAt = performance.now();
  drawKey();
}
function drawKey() {
  const out = $("watch-result");
  if (!lastKey) { out.textContent = ""; return; }
  if (!lastKey.exists) {
    out.textContent = lastKey.key + ": (gone)";
    out.className = "gone";
    return;
  }
  out.className = "";
  let ttl = "no TTL";
  if (lastKey.ttl_ms >= 0) {
    const left = Math.max(0, lastKey.ttl_ms - (performance.now() - lastKeyAt));
    ttl = "TTL " + (left / 1000).toFixed(1) + " s";
  }
  out.textContent = lastKey.key + " (" + lastKey.type + "): " + ttl;
}
function watch(key, db) {
  watched = key ? { key, db: Number(db) || 0 } : null;
  lastKey = null;
  pollKey().catch(live.showError);
}
$("watch-form").addEventListener("submit", (e) => {
  e.preventDefault();
  watch($("watch-key").value, $("watch-db").value);
});
// #watch=name pre-fills the box (a bookmark for the lecture; the browser test uses it too).
const fromHash = new URLSearchParams(location.hash.slice(1)).get("watch");
if (fromHash) { $("watch-key").value = fromHash; watch(fromHash, 0); }

live.start([pollOverview, pollClients, pollSlowlog, pollKey]);
setInterval(drawKey, 100);
)js";

}  // namespace

const std::string& admin_page() {
    static const std::string page = mb::live_page({"miniredis", kStyle, kBody, kScript});
    return page;
}

}  // namespace miniredis
