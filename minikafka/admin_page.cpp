// CONCEPT: a live lecture page - GET / on the admin port. One self-contained HTML document (its
// CSS and JavaScript inline, no CDN, no build step) compiled into the binary as a raw string:
// `minikafka --admin-port 8002` and a browser on http://127.0.0.1:8002/ are all a lecture needs.
//
//   every second:  fetch /api/overview   requests/s (a sparkline), bytes in/out, health
//                  fetch /api/topics     partitions: log start | high watermark | log end | segments
//                  fetch /api/groups     members, assignments, committed offsets and lag
//                  fetch /api/quorum     voters and brokers - 404 in single-node mode: section hidden
//
// What a lecture shows with it: produce with kcat and watch the log end offset move; start a
// consumer group and watch it go PreparingRebalance -> CompletingRebalance -> Stable, the
// partitions being assigned, and the lag column fall to 0 as it commits. Everything is drawn
// with textContent (never innerHTML), so a topic named "<b>" is shown, not parsed.
//
// READ NEXT: admin_api.cpp (the endpoints polled here), miniredis/admin_page.cpp (the same idea).
#include "admin_api.hpp"

namespace minikafka {

const std::string_view kAdminPage = R"page(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>minikafka - live</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5em; background: #fafafa; color: #222; }
  h1 { margin: 0 0 .5em 0; }
  h2 { margin: 1.2em 0 .3em 0; font-size: 1.3em; }
  h3 { margin: .8em 0 .2em 0; }
  .cards { display: flex; flex-wrap: wrap; gap: 1em; }
  .card { background: white; border: 1px solid #ddd; border-radius: 8px; padding: .6em 1em; min-width: 9em; }
  .card .label { color: #666; font-size: .9em; }
  .card .big { font-size: 2.4em; font-weight: bold; }
  table { border-collapse: collapse; background: white; margin-bottom: .5em; }
  td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: left; font-family: monospace; font-size: 1.1em; }
  #health.ok { color: #080; }  #health.bad { color: #c00; font-weight: bold; }
  td.lag { font-size: 1.6em; font-weight: bold; }
  svg polyline { fill: none; stroke: #36c; stroke-width: 2; }
</style>
</head>
<body>
<h1><span id="title">minikafka</span> <small id="health">...</small></h1>

<div class="cards">
  <div class="card"><div class="label">requests/s</div><div class="big" id="rps">-</div>
    <svg id="spark" width="160" height="30"><polyline points=""/></svg></div>
  <div class="card"><div class="label">bytes in/s</div><div class="big" id="bin">-</div></div>
  <div class="card"><div class="label">topics</div><div class="big" id="ntopics">-</div></div>
  <div class="card"><div class="label">consumer groups</div><div class="big" id="ngroups">-</div></div>
</div>

<h2>Topics and partitions</h2>
<table><thead><tr><th>topic</th><th>partition</th><th>log start</th><th>high watermark</th><th>log end</th>
  <th>segments</th><th>bytes</th></tr></thead><tbody id="topics"></tbody></table>

<h2>Consumer groups</h2>
<div id="groups"></div>

<div id="quorum-section" hidden>
  <h2>KRaft quorum</h2>
  <div id="quorum-summary"></div>
  <table><thead><tr><th>voter</th><th>address</th><th>log end</th><th>lag</th><th>last fetch ms ago</th></tr></thead>
    <tbody id="voters"></tbody></table>
  <table><thead><tr><th>broker</th><th>fenced</th><th>broker epoch</th></tr></thead><tbody id="brokers"></tbody></table>
</div>

<script>
"use strict";
const $ = (id) => document.getElementById(id);

function human(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
  return (i ? bytes.toFixed(1) : Math.round(bytes)) + " " + units[i];
}

// A new element with text (textContent: data is never parsed as HTML).
function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

// A <table> from a header row and data rows; `lagColumn` gets the big-number style.
function table(headers, rows, lagColumn) {
  const t = el("table"), head = el("tr");
  for (const h of headers) head.appendChild(el("th", h));
  t.appendChild(head);
  for (const r of rows) {
    const tr = el("tr");
    r.forEach((c, i) => tr.appendChild(el("td", c, i === lagColumn ? "lag" : "")));
    t.appendChild(tr);
  }
  return t;
}

function fillTable(tbody, rows) {
  tbody.replaceChildren(...rows.map((cells) => {
    const tr = el("tr");
    for (const c of cells) tr.appendChild(el("td", c));
    return tr;
  }));
}

// The server reports counters (totals since start); a rate is the difference between two polls
// divided by the time between them - what Prometheus' rate() does, done in the browser.
let previous = null;  // {at: ms, requests, bytes_in}
const history = [];
function rates(o) {
  const now = performance.now();
  let rps = 0, bps = 0;
  if (previous) {
    const seconds = (now - previous.at) / 1000;
    rps = (o.requests_total - previous.requests) / seconds;
    bps = (o.bytes_in_total - previous.bytes_in) / seconds;
  }
  previous = { at: now, requests: o.requests_total, bytes_in: o.bytes_in_total };
  return [rps, bps];
}
function sparkline(value) {
  history.push(value);
  if (history.length > 60) history.shift();  // one minute at one poll a second
  const max = Math.max(1, ...history);
  const points = history.map((v, i) => (i * 160 / 59).toFixed(1) + "," + (29 - v / max * 28).toFixed(1));
  document.querySelector("#spark polyline").setAttribute("points", points.join(" "));
}

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

async function pollOverview() {
  const o = await getJson("/api/overview");
  const [rps, bps] = rates(o);
  $("title").textContent = "minikafka node " + o.node_id;
  $("rps").textContent = Math.round(rps);
  $("bin").textContent = human(bps);
  sparkline(rps);
  $("ntopics").textContent = o.topics;
  $("ngroups").textContent = o.groups;
  $("health").textContent = o.health ? "UNHEALTHY: " + o.health : "healthy";
  $("health").className = o.health ? "bad" : "ok";
}

// One row per partition. Log start moves when retention deletes a segment; the high watermark is
// what consumers may read up to; log end is where the next record goes (equal here: one replica).
async function pollTopics() {
  const topics = await getJson("/api/topics");
  const rows = [];
  for (const t of topics)
    for (const p of t.partitions)
      rows.push([t.name, p.partition, p.log_start_offset, p.high_watermark, p.log_end_offset, p.segments,
                 human(p.bytes)]);
  fillTable($("topics"), rows);
}

// Per group: its state and generation (each rebalance is a new generation), its members with
// the partitions the leader assigned them, and per committed partition how far behind it is.
async function pollGroups() {
  const groups = await getJson("/api/groups");
  $("groups").replaceChildren(...groups.map((g) => {
    const box = el("div");
    box.appendChild(el("h3", g.group + " - " + g.state +
      (g.generation !== undefined ? ", generation " + g.generation : "") + (g.protocol ? ", " + g.protocol : "")));
    box.appendChild(table(["member", "client", "host", "assigned partitions"], g.members.map((m) => [
      m.member_id + (m.member_id === g.leader ? " (leader)" : ""), m.client_id, m.client_host,
      m.assignment.map((a) => a.topic + ": " + a.partitions.join(",")).join("  ")])));
    box.appendChild(table(["topic", "partition", "committed", "high watermark", "lag"],
      g.offsets.map((o) => [o.topic, o.partition, o.committed, o.high_watermark, o.lag]), 4));
    return box;
  }));
}

// /api/quorum is 404 on a single node: then the section stays hidden.
async function pollQuorum() {
  const r = await fetch("/api/quorum", { cache: "no-store" });
  if (!r.ok) { $("quorum-section").hidden = true; return; }
  const q = await r.json();
  $("quorum-section").hidden = false;
  $("quorum-summary").textContent = "this node: " + q.role + ", leader " + q.leader_id + ", epoch " + q.epoch +
    ", high watermark " + q.high_watermark;
  fillTable($("voters"), q.voters.map((v) => [v.id, v.host + ":" + v.port, v.log_end_offset ?? "?",
                                              v.lag ?? "?", v.last_fetch_ms_ago ?? "?"]));
  fillTable($("brokers"), q.brokers.map((b) => [b.id, b.fenced ? "FENCED" : "no", b.broker_epoch]));
}

function showError(e) { $("health").textContent = "no answer: " + e.message; $("health").className = "bad"; }

// One poll a second; each endpoint on its own, so one failing does not blank the others.
function tick() {
  for (const poll of [pollOverview, pollTopics, pollGroups, pollQuorum]) poll().catch(showError);
}
tick();
setInterval(tick, 1000);
</script>
</body>
</html>
)page";

}  // namespace minikafka
