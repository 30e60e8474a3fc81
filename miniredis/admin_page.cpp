// CONCEPT: a live lecture page - GET / on the admin port. One self-contained HTML document (its
// CSS and JavaScript inline, no CDN, no build step) compiled into the binary as a raw string, so
// `miniredis --admin-port 8001` and a browser on http://127.0.0.1:8001/ are all a lecture needs.
//
//   every second:  fetch /api/overview, /api/clients, /api/slowlog   (admin_api.cpp)
//                  fetch /api/keys/<watched key>                     (the "watch key" box)
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

namespace miniredis {

const std::string_view kAdminPage = R"page(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>miniredis - live</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5em; background: #fafafa; color: #222; }
  h1 { margin: 0 0 .5em 0; }
  h2 { margin: 1.2em 0 .3em 0; font-size: 1.3em; }
  .cards { display: flex; flex-wrap: wrap; gap: 1em; }
  .card { background: white; border: 1px solid #ddd; border-radius: 8px; padding: .6em 1em; min-width: 9em; }
  .card .label { color: #666; font-size: .9em; }
  .card .big { font-size: 2.4em; font-weight: bold; }
  table { border-collapse: collapse; background: white; }
  td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: left; font-family: monospace; font-size: 1.1em; }
  #health.ok { color: #080; }  #health.bad { color: #c00; font-weight: bold; }
  #watch-result { font-size: 2em; font-family: monospace; }
  .gone { color: #c00; }
  svg polyline { fill: none; stroke: #c33; stroke-width: 2; }
</style>
</head>
<body>
<h1>miniredis <small id="health">...</small></h1>

<div class="cards">
  <div class="card"><div class="label">ops/s</div><div class="big" id="ops">-</div>
    <svg id="spark" width="160" height="30"><polyline points=""/></svg></div>
  <div class="card"><div class="label">keys</div><div class="big" id="keys">-</div></div>
  <div class="card"><div class="label">memory used</div><div class="big" id="mem">-</div>
    <div class="label" id="maxmem"></div></div>
  <div class="card"><div class="label">clients</div><div class="big" id="nclients">-</div></div>
</div>

<h2>Watch a key</h2>
<form id="watch-form">key <input id="watch-key" size="24"> db <input id="watch-db" size="2" value="0">
  <button>watch</button></form>
<div id="watch-result"></div>

<h2>Keyspace</h2>
<table><thead><tr><th>db</th><th>keys</th><th>with TTL</th></tr></thead><tbody id="keyspace"></tbody></table>

<h2>Clients</h2>
<table><thead><tr><th>id</th><th>addr</th><th>name</th><th>db</th><th>idle s</th><th>last command</th></tr></thead>
  <tbody id="clients"></tbody></table>

<h2>Persistence</h2>
<table><tbody id="persistence"></tbody></table>

<h2>Slowlog</h2>
<table><thead><tr><th>id</th><th>when</th><th>&micro;s</th><th>command</th><th>client</th></tr></thead>
  <tbody id="slowlog"></tbody></table>

<script>
"use strict";
const $ = (id) => document.getElementById(id);

// Bytes for humans: 1536 -> "1.5 KB".
function human(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
  return (i ? bytes.toFixed(1) : bytes) + " " + units[i];
}

// Replaces a <tbody>'s rows; every cell is set with textContent, so data is never parsed as HTML.
function fillTable(tbody, rows) {
  tbody.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      td.textContent = c;
      tr.appendChild(td);
    }
    return tr;
  }));
}

// The last 60 ops/s readings as a tiny line chart: one minute of history at one poll a second.
const history = [];
function sparkline(value) {
  history.push(value);
  if (history.length > 60) history.shift();
  const max = Math.max(1, ...history);
  const points = history.map((v, i) => (i * 160 / 59).toFixed(1) + "," + (29 - v / max * 28).toFixed(1));
  document.querySelector("#spark polyline").setAttribute("points", points.join(" "));
}

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

// /api/overview: the big numbers, keys per database, AOF and snapshot state (INFO's fields).
async function pollOverview() {
  const o = await getJson("/api/overview");
  $("ops").textContent = Math.round(o.ops_per_sec);
  sparkline(o.ops_per_sec);
  $("keys").textContent = o.keyspace.reduce((n, db) => n + db.keys, 0);
  $("mem").textContent = human(o.used_memory);
  $("maxmem").textContent = o.maxmemory ? "maxmemory " + human(o.maxmemory) + " (" + o.maxmemory_policy + ")"
                                        : "no maxmemory";
  $("nclients").textContent = o.connected_clients;
  $("health").textContent = o.health ? "UNHEALTHY: " + o.health : "healthy";
  $("health").className = o.health ? "bad" : "ok";
  fillTable($("keyspace"), o.keyspace.map((db) => ["db" + db.db, db.keys, db.expires]));
  const p = o.persistence;
  fillTable($("persistence"), [
    ["AOF", p.aof_enabled ? "on, appendfsync " + p.appendfsync : "off"],
    ["AOF size", human(p.aof_current_size) + " (after last rewrite " + human(p.aof_base_size) + ")"],
    ["fsyncs so far", p.aof_fsyncs],
    ["AOF rewrite in progress", p.aof_rewrite_in_progress ? "YES" : "no"],
    ["snapshot in progress", p.rdb_bgsave_in_progress ? "YES" : "no"],
    ["last snapshot", p.rdb_last_save_time ? new Date(p.rdb_last_save_time * 1000).toLocaleTimeString() : "never"],
    ["changes since last snapshot", p.rdb_changes_since_last_save],
  ]);
}

// /api/clients: who is connected and what each one ran last (CLIENT LIST's cmd=).
async function pollClients() {
  const cs = await getJson("/api/clients");
  fillTable($("clients"), cs.map((c) => [c.id, c.addr, c.name, c.db, c.idle_s, c.cmd]));
}

// /api/slowlog: newest first, as SLOWLOG GET.
async function pollSlowlog() {
  const s = await getJson("/api/slowlog");
  fillTable($("slowlog"), s.slice(0, 10).map((e) =>
    [e.id, new Date(e.time * 1000).toLocaleTimeString(), e.duration_us, e.args.join(" "), e.client]));
}

// The watch box: poll the key once a second; between polls, count its TTL down locally every
// 100 ms from the moment we got it, so the number moves smoothly on the projector.
let watched = null;       // {key, db}
let lastKey = null;       // the last /api/keys answer
let lastKeyAt = 0;        // when it arrived (performance.now(), ms)
async function pollKey() {
  if (!watched) return;
  lastKey = await getJson("/api/keys/" + encodeURIComponent(watched.key) + "?db=" + watched.db);
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
  pollKey().catch(showError);
}
$("watch-form").addEventListener("submit", (e) => {
  e.preventDefault();
  watch($("watch-key").value, $("watch-db").value);
});
// #watch=name pre-fills the box (a bookmark for the lecture; the browser test uses it too).
const fromHash = new URLSearchParams(location.hash.slice(1)).get("watch");
if (fromHash) { $("watch-key").value = fromHash; watch(fromHash, 0); }

function showError(e) { $("health").textContent = "no answer: " + e.message; $("health").className = "bad"; }

// One poll a second; each endpoint on its own, so one failing does not blank the others.
function tick() {
  for (const poll of [pollOverview, pollClients, pollSlowlog, pollKey]) poll().catch(showError);
}
tick();
setInterval(tick, 1000);
setInterval(drawKey, 100);
</script>
</body>
</html>
)page";

}  // namespace miniredis
