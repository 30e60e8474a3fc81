// CONCEPT: a live lecture page - GET / on the admin port. minikafka's sections of the page the
// three servers share (common/live_page.cpp: the frame, the helpers, the --trace panel, the links
// to the docs and to the other brokers), compiled into the binary:
// `minikafka --admin-port 8002` and a browser on http://127.0.0.1:8002/ are all a lecture needs.
//
//   every second:  fetch /api/overview   requests/s (a sparkline), bytes in/out, health
//                  fetch /api/topics     partitions: log start | high watermark | log end | segments
//                  fetch /api/groups     members, assignments, committed offsets and lag
//                  fetch /api/quorum     voters and brokers - 404 in single-node mode: section hidden
//                  fetch /api/trace/lines  (the shared trace panel)
//
// What a lecture shows with it: produce with kcat and watch the log end offset move; start a
// consumer group and watch it go PreparingRebalance -> CompletingRebalance -> Stable, the
// partitions being assigned, and the lag column fall to 0 as it commits. Everything is drawn
// with textContent (never innerHTML), so a topic named "<b>" is shown, not parsed.
//
// READ NEXT: admin_api.cpp (the endpoints polled here), miniredis/admin_page.cpp (the same idea).
#include "admin_api.hpp"
#include "live_page.hpp"

namespace minikafka {
namespace {

constexpr std::string_view kStyle = R"css(
  td.lag { font-size: 1.6em; font-weight: bold; }
  svg.spark polyline { stroke: #36c; }
)css";

constexpr std::string_view kBody = R"html(
<div class="cards">
  <div class="card"><div class="label">requests/s</div><div class="big" id="rps">-</div>
    <svg class="spark" id="spark" width="160" height="30"><polyline points=""/></svg></div>
  <div class="card"><div class="label">bytes in/s</div><div class="big" id="bin">-</div></div>
  <div class="card"><div class="label">topics</div><div class="big" id="ntopics">-</div></div>
  <div class="card"><div class="label">consumer groups</div><div class="big" id="ngroups">-</div></div>
</div>

<h2 data-doc="minikafka/01-follow-a-produce-and-fetch.md" data-doc-label="01 the log">Topics and partitions</h2>
<table><thead><tr><th>topic</th><th>partition</th><th>log start</th><th>high watermark</th><th>log end</th>
  <th>segments</th><th>bytes</th></tr></thead><tbody id="topics"></tbody></table>

<h2 data-doc="minikafka/03-consumer-groups.md" data-doc-label="03 consumer groups">Consumer groups</h2>
<div id="groups"></div>

<div id="quorum-section" hidden>
  <h2 data-doc="minikafka/05-replication-and-the-controller.md" data-doc-label="05 the controller">KRaft quorum</h2>
  <div id="quorum-summary"></div>
  <table><thead><tr><th>voter</th><th>address</th><th>log end</th><th>lag</th><th>last fetch ms ago</th></tr></thead>
    <tbody id="voters"></tbody></table>
  <table><thead><tr><th>broker</th><th>fenced</th><th>broker epoch</th></tr></thead><tbody id="brokers"></tbody></table>
</div>
)html";

constexpr std::string_view kScript = R"js(
const spark = live.sparkline($("spark"));
const requestRate = live.rate(), bytesInRate = live.rate();

async function pollOverview() {
  const o = await live.getJson("/api/overview");
  const rps = requestRate(o.requests_total);
  $("title").textContent = "minikafka node " + o.node_id;
  $("rps").textContent = Math.round(rps);
  $("bin").textContent = live.human(bytesInRate(o.bytes_in_total));
  spark(rps);
  $("ntopics").textContent = o.topics;
  $("ngroups").textContent = o.groups;
  live.health(o.health);
}

// One row per partition. Log start moves when retention deletes a segment; the high watermark is
// what consumers may read up to; log end is where the next record goes (equal here: one replica).
async function pollTopics() {
  const topics = await live.getJson("/api/topics");
  const rows = [];
  for (const t of topics)
    for (const p of t.partitions)
      rows.push([t.name, p.partition, p.log_start_offset, p.high_watermark, p.log_end_offset, p.segments,
                 live.human(p.bytes)]);
  live.fillTable($("topics"), rows);
}

// Per group: its state and generation (each rebalance is a new generation), its members with
// the partitions the leader assigned them, and per committed partition how far behind it is.
async function pollGroups() {
  const groups = await live.getJson("/api/groups");
  $("groups").replaceChildren(...groups.map((g) => {
    const box = live.el("div");
    box.appendChild(live.el("h3", g.group + " - " + g.state +
      (g.generation !== undefined ? ", generation " + g.generation : "") + (g.protocol ? ", " + g.protocol : "")));
    box.appendChild(live.table(["member", "client", "host", "assigned partitions"], g.members.map((m) => [
      m.member_id + (m.member_id === g.leader ? " (leader)" : ""), m.client_id, m.client_host,
      m.assignment.map((a) => a.topic + ": " + a.partitions.join(",")).join("  ")])));
    box.appendChild(live.table(["topic", "partition", "committed", "high watermark", "lag"],
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
  live.fillTable($("voters"), q.voters.map((v) => [v.id, v.host + ":" + v.port, v.log_end_offset ?? "?",
                                                   v.lag ?? "?", v.last_fetch_ms_ago ?? "?"]));
  live.fillTable($("brokers"), q.brokers.map((b) => [b.id, b.fenced ? "FENCED" : "no", b.broker_epoch]));
}

live.start([pollOverview, pollTopics, pollGroups, pollQuorum]);
)js";

}  // namespace

const std::string& admin_page() {
    static const std::string page = mb::live_page({"minikafka", kStyle, kBody, kScript});
    return page;
}

}  // namespace minikafka
