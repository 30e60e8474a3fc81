// CONCEPT: the node as the management UI sees it - /api/overview, /api/nodes, /api/auth and
// /api/extensions, the four documents RabbitMQ's UI reads before it draws anything.
//
//   index.html ──GET /api/auth──────▶ {"enable_uaa": false}     (no OAuth: show the login form)
//   login      ──GET /api/whoami────▶ {"name": "guest", "tags": ["administrator"]}
//              ──GET /api/extensions▶ [{"javascript": "dispatcher.js"}]  (the UI's own routes load
//                                       as an "extension": without it no tab is ever drawn)
//   every tab  ──GET /api/overview──▶ totals, exchange types, listeners, ...  (the header, Overview)
//              ──GET /api/nodes─────▶ one node: memory, disk, file descriptors, uptime
//
// RabbitMQ is a cluster of Erlang nodes; minirabbit is one process, so it is a one-node cluster
// named "minirabbit@localhost". Figures an Erlang VM has and we have not (Erlang processes, run
// queue, the statistics database) are answered with what is true here: one thread, no queue.
// The totals' rates and chart samples ("publish_details": {"rate": ..., "samples": [...]}) come from
// the broker's rate history (model/rate_history.hpp, admin_rates.cpp); the node's gauges keep no
// history (one sample, rate 0), so the node page's charts stay empty.
// READ NEXT: admin_sessions.cpp (connections, channels, consumers), admin_policies.cpp.
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "admin_api.hpp"
#include "version.hpp"

namespace minirabbit {

namespace json = boost::json;

namespace {

constexpr std::string_view kNode = "minirabbit@localhost";
constexpr std::string_view kRabbitVersion = "3.10.8";  // the UI release whose API we answer
constexpr uint64_t kDiskFreeLimit = 50'000'000;        // RabbitMQ's default disk_free_limit

const auto kStarted = std::chrono::steady_clock::now();

// The node table's gauges, measured rather than made up: descriptors open in this process (each
// client socket is one), against the soft limit main.cpp raised at start.
size_t open_file_descriptors() {
    std::error_code ec;
    size_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != end(it); it.increment(ec))
        ++n;
    return n;
}

uint64_t file_descriptor_limit() {
    rlimit limit{};
    return getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : 1024;
}

uint64_t disk_free(const std::string& directory) {
    struct statvfs fs {};
    if (statvfs(directory.empty() ? "." : directory.c_str(), &fs) != 0) return 0;
    return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The exchange types this broker can make. The UI fills its "Add a new exchange" type menu from
// this list, so a type missing here cannot be created from the UI even if the broker knows it.
json::array exchange_types() {
    // What make_exchange() knows (model/exchange.cpp); the UI offers them in "Add a new exchange".
    json::array out;
    for (auto [name, description] : {std::pair{"direct", "AMQP direct exchange, as per the AMQP specification"},
                                     std::pair{"fanout", "AMQP fanout exchange, as per the AMQP specification"},
                                     std::pair{"headers", "AMQP headers exchange, as per the AMQP specification"},
                                     std::pair{"topic", "AMQP topic exchange, as per the AMQP specification"}})
        out.push_back(json::object{{"name", name}, {"description", description}, {"enabled", true}});
    return out;
}

// "Ports and contexts" on the Overview: which protocol listens where. Both ports are the ones
// actually bound (with --port 0 the kernel picked them), taken from the acceptors in main.cpp.
json::array listeners(const AdminContext& ctx) {
    json::array out;
    out.push_back(json::object{{"node", node_name()},
                               {"protocol", "amqp"},
                               {"ip_address", "127.0.0.1"},
                               {"port", ctx.amqp_port},
                               {"socket_opts", json::object{}}});
    if (ctx.admin_port)
        out.push_back(json::object{{"node", node_name()},
                                   {"protocol", "http"},
                                   {"ip_address", "127.0.0.1"},
                                   {"port", ctx.admin_port},
                                   {"socket_opts", json::object{{"port", ctx.admin_port}}}});
    return out;
}

json::array contexts(const AdminContext& ctx) {
    return json::array{json::object{{"node", node_name()},
                                    {"description", "RabbitMQ Management"},
                                    {"path", "/"},
                                    {"port", std::to_string(ctx.admin_port)}}};
}

}  // namespace

// The node's name (--nodename / RABBITMQ_NODENAME), set once at start: one process, one node.
static std::string& configured_node_name() {
    static std::string name(kNode);
    return name;
}
void set_node_name(std::string name) { configured_node_name() = std::move(name); }
std::string_view node_name() { return configured_node_name(); }

json::object details_json(uint64_t value) {
    // One sample, now: the charts need two to draw a line, so they stay empty rather than wrong.
    return json::object{{"rate", 0.0},
                        {"avg", value},
                        {"avg_rate", 0.0},
                        {"samples", json::array{json::object{{"sample", value}, {"timestamp", now_ms()}}}}};
}

json::object auth_json() {
    // OAuth 2 (UAA) is off: the UI shows its user name / password form.
    return json::object{{"enable_uaa", false}, {"uaa_client_id", ""}, {"uaa_location", ""}};
}

json::array extensions_json() {
    // The UI loads its own routes (dispatcher.js) the way it loads a plugin's: as an extension.
    return json::array{json::object{{"javascript", "dispatcher.js"}}};
}

// The document behind the page header and the Overview tab. Totals are summed on request by
// walking every vhost's queues: no counters to keep in step, at the price of O(queues) per call
// (the UI asks every 5 s; RabbitMQ's statistics database does the same walk on a timer).
json::object overview_json(const AdminContext& ctx, const StatsQuery& stats) {
    const Broker& broker = ctx.broker;
    size_t queues = 0, exchanges = 0, consumers = 0, ready = 0, unacked = 0;
    uint64_t published = 0, delivered = 0, acked = 0, redelivered = 0, no_ack = 0, fetched = 0;
    for (const auto& [name, vhost] : broker.vhosts()) {
        exchanges += vhost->exchanges().size();
        for (const auto& [qname, q] : vhost->queues()) {
            ++queues;
            consumers += q->consumer_count();
            ready += q->ready_count();
            unacked += q->unacked_count();
            published += q->stats().published;
            delivered += q->stats().delivered;
            acked += q->stats().acked;
            redelivered += q->stats().redelivered;
            no_ack += q->stats().delivered_no_ack;
            fetched += q->stats().fetched;
        }
    }
    size_t connections = 0, channels = 0;
    if (ctx.connections)
        for (const auto& c : ctx.connections()) ++connections, channels += c.channels;

    // The Overview's two charts, from the broker's totals history (model/rate_history.hpp,
    // admin_rates.cpp): "Queued messages" and "Message rates".
    const SampleClock& clock = broker.statistics_clock();
    const RateHistory& h = broker.totals_history();
    json::object queue_totals, message_stats;
    put_series(queue_totals, "messages", ready + unacked, clock, h, {Queue::kReady, Queue::kUnacked}, stats.lengths);
    put_series(queue_totals, "messages_ready", ready, clock, h, {Queue::kReady}, stats.lengths);
    put_series(queue_totals, "messages_unacknowledged", unacked, clock, h, {Queue::kUnacked}, stats.lengths);
    // Summed over queues: a message routed to two queues counts twice (RabbitMQ counts it once).
    const auto& r = stats.msg_rates;
    put_series(message_stats, "publish", published, clock, h, {Queue::kPublish}, r);
    put_series(message_stats, "deliver", delivered - no_ack - fetched, clock, h, {Queue::kDeliver}, r);
    put_series(message_stats, "deliver_no_ack", no_ack, clock, h, {Queue::kDeliverNoAck}, r);
    put_series(message_stats, "get", fetched, clock, h, {Queue::kGet}, r);
    put_series(message_stats, "deliver_get", delivered, clock, h, {Queue::kDeliver, Queue::kDeliverNoAck, Queue::kGet},
               r);
    put_series(message_stats, "ack", acked, clock, h, {Queue::kAck}, r);
    put_series(message_stats, "redeliver", redelivered, clock, h, {Queue::kRedeliver}, r);
    return json::object{
        {"management_version", kRabbitVersion},
        {"rates_mode", "basic"},
        // What the rate history keeps (model/rate_history.hpp): the overview ten minutes, every
        // object one. The UI offers exactly these chart ranges ("Last minute", "Last ten minutes").
        {"sample_retention_policies",
         json::object{{"global", json::array{60, 600}}, {"basic", json::array{60}}, {"detailed", json::array{60}}}},
        {"exchange_types", exchange_types()},
        {"product_version", mb::kVersion},
        {"product_name", "minirabbit"},
        {"rabbitmq_version", kRabbitVersion},  // the protocol behaviour we follow
        {"cluster_name", node_name()},
        {"erlang_version", "none (C++20)"},
        {"erlang_full_version", "none: minirabbit is a C++20 program"},
        {"release_series_support_status", "supported"},
        {"disable_stats", false},
        {"enable_queue_totals", false},
        {"message_stats", message_stats},
        {"churn_rates", json::object{}},
        {"queue_totals", queue_totals},
        {"object_totals", json::object{{"connections", connections},
                                       {"channels", channels},
                                       {"exchanges", exchanges},
                                       {"queues", queues},
                                       {"consumers", consumers}}},
        {"statistics_db_event_queue", 0},
        {"node", node_name()},
        {"listeners", listeners(ctx)},
        {"contexts", contexts(ctx)},
        // minirabbit's own: the memory alarm's inputs (see docs/minirabbit, flow control).
        {"message_memory_bytes", broker.memory_in_use()},
        {"vm_memory_high_watermark", broker.memory_high_watermark},
        {"memory_alarm", broker.memory_alarm()},
        {"mem_used", broker.memory_used()},
    };
}

json::object node_json(const AdminContext& ctx) {
    const Broker& broker = ctx.broker;
    size_t connections = ctx.connections ? ctx.connections().size() : 0;
    uint64_t free = disk_free(ctx.data_dir);
    auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - kStarted);
    json::object node{
        {"name", node_name()},
        {"type", "disc"},
        {"running", true},
        {"being_drained", false},
        {"os_pid", std::to_string(getpid())},
        {"uptime", uptime.count()},
        {"processors", std::thread::hardware_concurrency()},
        {"run_queue", 0},
        {"rates_mode", "basic"},
        // Memory, with RabbitMQ's names for the memory alarm (what rabbitmqadmin and monitoring
        // read): mem_used against mem_limit, mem_alarm, and how mem_used is measured.
        {"mem_used", broker.memory_used()},
        {"mem_limit", broker.memory_high_watermark},
        {"mem_alarm", broker.memory_alarm()},
        {"mem_calculation_strategy", ctx.memory_strategy},
        {"message_memory_bytes", broker.memory_in_use()},
        // minirabbit does not block on disk space; the figure is real, the alarm never fires.
        {"disk_free", free},
        {"disk_free_limit", kDiskFreeLimit},
        {"disk_free_alarm", false},
        {"fd_used", open_file_descriptors()},
        {"fd_total", file_descriptor_limit()},
        {"sockets_used", connections},
        {"sockets_total", file_descriptor_limit()},
        {"proc_used", 1},  // one broker thread (Erlang counts its lightweight processes here)
        {"proc_total", 1},
        {"partitions", json::array{}},
        {"cluster_links", json::array{}},
        {"applications",
         json::array{json::object{
             {"name", "rabbit"}, {"description", "minirabbit, an AMQP 0-9-1 broker"}, {"version", kRabbitVersion}}}},
        {"enabled_plugins", json::array{"rabbitmq_management"}},
        {"exchange_types", exchange_types()},
        {"auth_mechanisms",
         json::array{json::object{{"name", "PLAIN"}, {"description", "SASL PLAIN"}, {"enabled", true}},
                     json::object{{"name", "AMQPLAIN"}, {"description", "QPid AMQPLAIN"}, {"enabled", true}}}},
        {"listeners", listeners(ctx)},
        {"contexts", contexts(ctx)},
        {"config_files", json::array{}},
        {"log_files", json::array{"<stdout>"}},
        {"db_dir", ctx.data_dir},
        {"net_ticktime", 60},
    };
    // The node page draws a chart per gauge from its "_details".
    for (std::string_view gauge : {"mem_used", "fd_used", "sockets_used", "proc_used", "disk_free"})
        node[std::string(gauge) + "_details"] = details_json(node.at(gauge).to_number<uint64_t>());
    return node;
}

}  // namespace minirabbit
