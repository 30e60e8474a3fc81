// minirabbit: an AMQP 0-9-1 broker that RabbitMQ's clients (pika, kombu/celery, amqp-tools,
// rabbitmq-c) use as if it were RabbitMQ. This file only wires things together: options, the
// broker model, the listener, the admin endpoint, and a clean stop on SIGTERM.
// Start reading at docs/minirabbit/README.md, or at server.hpp for the socket side.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>  // malloc_trim
#endif
#include <filesystem>
#include <string_view>
#include <vector>

#include "admin_http.hpp"
#include "core/memory_monitor.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "model/broker.hpp"
#include "options.hpp"
#include "rabbitmq_conf.hpp"
#include "server.hpp"
#include "server_metrics.hpp"
#include "storage/definitions.hpp"
#include "storage/journal.hpp"
#include "storage/repair.hpp"

namespace {

constexpr mb::OptionSpec kOptions[] = {
    {"port", "5672", "TCP port to listen on (0 = any free port)", mb::OptionKind::integer, 0, 65535},
    {"bind", "127.0.0.1", "address to listen on"},
    {"dir", ".", "data directory (definitions file and message journal)"},
    {"admin-port", "", "HTTP admin port: /healthz, /metrics, /api (0 = any free port; empty = off)"},
    {"management-ui", "",
     "directory of RabbitMQ's management UI files (rabbitmq_management's priv/www) served on the admin port at /"},
    {"loglevel", "info", "log level", mb::OptionKind::choice, 0, 0, "debug|info|warning|error"},
    {"vm-memory-high-watermark", "0.4",
     "memory use above which publishing connections are blocked (connection.blocked): a fraction of RAM (0.4) "
     "or an amount (1gb)"},
    {"vm-memory-high-watermark.relative", "", "the watermark as a fraction of RAM (wins over the above)"},
    {"vm-memory-high-watermark.absolute", "", "the watermark as an amount, e.g. 2gb (wins over both above)"},
    {"vm-memory-calculation-strategy", "allocated",
     "how memory use is measured: the allocator's in-use bytes, or the resident set size", mb::OptionKind::choice, 0, 0,
     "allocated|rss"},
    {"disk-free-limit", "50mb", "/healthz answers 503 when the dir's disk has less free (RabbitMQ's disk_free_limit)",
     mb::OptionKind::bytes, 0, INT64_MAX},
    {"collect-statistics-interval", "5000",
     "ms between two samples of the management UI's rate history (rabbitmq.conf collect_statistics_interval)",
     mb::OptionKind::integer, 100, 3600000},
    {"queue-body-budget", "8mb",
     "bytes of ready message bodies one queue keeps in RAM; past it, bodies of persistent messages in durable queues "
     "stay only in the journal and are read back on delivery (0 = keep none, like a lazy queue)",
     mb::OptionKind::bytes, 0, INT64_MAX},
    {"trace", "no", "log one line per step of a message's life: publish, fsync, confirm, delivery, ack",
     mb::OptionKind::boolean},
    {"repair", "no",
     "check the data directory, cut corrupt files at their first bad byte (keeping <file>.corrupt), report, exit",
     mb::OptionKind::boolean},
};

// `--repair` is a bare flag, as in `minirabbit --repair --dir DATA`; the option parser wants a
// value after every name, so a bare one becomes `--repair=yes` (`--repair yes` works as well).
std::vector<const char*> expand_bare_flags(int argc, char** argv) {
    std::vector<const char*> args(argv, argv + argc);
    for (size_t i = 1; i < args.size(); ++i)
        if (std::string_view(args[i]) == "--repair" &&
            (i + 1 == args.size() || std::string_view(args[i + 1]).starts_with("--")))
            args[i] = "--repair=yes";
    return args;
}

}  // namespace

int main(int argc, char** argv) {
    mb::log::set_program("minirabbit");
    mb::Options options;
    std::vector<const char*> args = expand_bare_flags(argc, argv);
    std::vector<mb::OptionSpec> specs(std::begin(kOptions), std::end(kOptions));
    for (const mb::OptionSpec& spec : minirabbit::rabbitmq_conf_options()) specs.push_back(spec);
    options.set_file_rules(minirabbit::rabbitmq_conf_rules());
    if (int code = options.parse_command_line(specs, static_cast<int>(args.size()), args.data(), "minirabbit",
                                              "[--config rabbitmq.conf] [--repair] [--name value ...]");
        code >= 0)
        return code;
    try {
        minirabbit::load_rabbitmq_config(options, [](const char* name) { return std::getenv(name); });
    } catch (const mb::OptionError& e) {
        fmt::print(stderr, "minirabbit: {} (try --help)\n", e.what());
        return 2;
    }
    mb::log::Level level = mb::log::Level::info;
    mb::log::parse_level(options.text("loglevel"), level);
    mb::log::set_level(level);
    if (std::string ignored = options.ignored_summary(); !ignored.empty()) mb::log::warn("{}", ignored);
    if (options.boolean("repair")) return minirabbit::repair_storage(options.text("dir"));
    try {
        minirabbit::Broker broker;
        try {
            broker.memory_high_watermark = minirabbit::memory_watermark(
                options.text("vm-memory-high-watermark"), options.text("vm-memory-high-watermark.relative"),
                options.text("vm-memory-high-watermark.absolute"), minirabbit::total_memory());
        } catch (const std::invalid_argument& e) {
            mb::log::error("{}", e.what());
            return 2;  // a bad option, like every other one
        }
        const auto memory_strategy = *minirabbit::parse_memory_strategy(options.text("vm-memory-calculation-strategy"));
        mb::log::info("vm_memory_high_watermark {} bytes ({} memory)", broker.memory_high_watermark,
                      minirabbit::memory_strategy_name(memory_strategy));
        broker.trace = options.boolean("trace");
        broker.statistics_clock().set_interval_ms(options.integer("collect-statistics-interval"));
        broker.queue_body_budget = static_cast<uint64_t>(options.integer("queue-body-budget"));
        broker.loopback_users = minirabbit::loopback_users(options);
        const std::string dir = options.text("dir");
        std::filesystem::create_directories(dir);
        if (!minirabbit::load_definitions(broker, dir)) {
            // RabbitMQ's first start: vhost "/", user guest/guest (administrator, loopback only)
            // with full permissions on it - or default_vhost / default_user / default_pass.
            const std::string& vhost = options.text("default-vhost");
            const std::string& user = options.text("default-user");
            broker.add_vhost(vhost);
            broker.users().put_user(user, options.text("default-pass"), {"administrator"});
            broker.users().set_permission(vhost, user, minirabbit::Permission(".*", ".*", ".*"));
            minirabbit::save_definitions(broker, dir);
        }
        minirabbit::Journal journal(dir);
        auto recovered = journal.recover(broker);
        if (recovered.messages) {
            mb::log::info("recovered {} persistent messages from the journal", recovered.messages);
#if defined(__GLIBC__)
            // Recovery read the whole journal and then paged deep queues out: the freed bodies are
            // holes between the headers that stay. Give those pages back to the system now, or the
            // resident set keeps the size of the whole backlog although the heap does not use it.
            malloc_trim(0);
#endif
        }
        broker.set_store(&journal);

        // Order matters for teardown: the io_context (and with it every session) goes first.
        minirabbit::Server server(broker);
        server.memory_strategy = memory_strategy;
        server.save_definitions = [&] { minirabbit::save_definitions(broker, dir); };
        server.flush_journal = [&] { journal.flush(); };
        server.on_tick = [&] { journal.compact_if_needed(); };
        mb::Metrics metrics;
        // Gauges are computed when scraped, so the hot path pays nothing for them.
        metrics.gauge("minirabbit_connections", "Open AMQP connections.",
                      [&] { return static_cast<double>(server.connection_count()); });
        metrics.gauge("minirabbit_queues", "Queues in all vhosts.", [&] {
            size_t n = 0;
            for (const auto& [name, vhost] : broker.vhosts()) n += vhost->queues().size();
            return static_cast<double>(n);
        });
        metrics.gauge("minirabbit_messages_ready", "Messages waiting in queues.", [&] {
            size_t n = 0;
            for (const auto& [name, vhost] : broker.vhosts())
                for (const auto& [qname, queue] : vhost->queues()) n += queue->ready_count();
            return static_cast<double>(n);
        });
        metrics.gauge("minirabbit_message_memory_bytes", "Bytes held by live messages.",
                      [] { return static_cast<double>(minirabbit::Message::live_bytes()); });
        metrics.gauge("minirabbit_memory_used_bytes", "Memory used, as the memory alarm measures it.",
                      [&] { return static_cast<double>(broker.memory_used()); });
        minirabbit::register_queue_metrics(metrics, broker);  // server_metrics.cpp: per queue, process_*
        boost::asio::io_context io(1);
        mb::net::raise_open_files_limit();
        auto acceptor = mb::net::listen(io, options.text("bind"), static_cast<uint16_t>(options.integer("port")));
        minirabbit::AdminContext admin{
            .broker = broker,
            .connections = [&] { return server.connection_infos(); },
            .changed = [&] { server.after_batch(); },
            .memory_strategy = std::string(minirabbit::memory_strategy_name(memory_strategy)),
            .close_connection = [&](const std::string& name,
                                    const std::string& reason) { return server.close_connection(name, reason); },
            .amqp_port = acceptor.local_endpoint().port(),
            .data_dir = dir,
            .node_name = options.text("nodename"),
        };
        minirabbit::set_node_name(options.text("nodename"));
        const std::string ui_directory = options.text("management-ui");
        if (!ui_directory.empty() && !std::filesystem::exists(ui_directory + "/index.html"))
            mb::log::warn("--management-ui {}: no index.html there", ui_directory);
        if (!options.text("admin-port").empty())
            admin.admin_port = mb::start_admin_http(
                io, options.text("bind"), static_cast<uint16_t>(options.integer("admin-port")), metrics,
                [&](const mb::HttpRequest& request) { return minirabbit::handle_admin_request(admin, request); },
                {.index_html = minirabbit::admin_page(),  // admin_page.cpp: on / unless RabbitMQ's UI is
                 .index_at_root = ui_directory.empty(),   // there; always on /live
                 .health = [&, limit = static_cast<uint64_t>(options.integer(
                                   "disk-free-limit"))] { return minirabbit::health_problems(broker, dir, limit); },
                 .pages =
                     [&](const mb::HttpRequest& request) {
                         return minirabbit::serve_management_ui(ui_directory, request);
                     }});
        // The journal's sync thread reports "on disk up to here" by posting to the broker thread
        // (which also traces it: the trace switch belongs to that thread).
        journal.start([&](const minirabbit::Journal::Synced& synced) {
            boost::asio::post(io, [&, synced] {
                if (broker.trace) broker.trace_line("{}", synced.describe());
                server.on_synced(synced.position);
                // Records on disk now: queues over their body budget drop those bodies from RAM.
                if (broker.store()) broker.page_out(journal);
            });
        });
        server.start(io, acceptor);
        boost::asio::steady_timer grace(io);
        mb::net::on_stop_signal(io, [&] {
            // Stop accepting, close every connection (requeueing unacked messages), let the last
            // frames go out, then make the journal flush and fsync what it has.
            acceptor.close();
            server.stop();
            journal.stop();
            broker.set_store(nullptr);
            grace.expires_after(std::chrono::milliseconds(100));
            grace.async_wait([&](boost::system::error_code) { io.stop(); });
        });
        io.run();
        journal.stop();
        broker.set_store(nullptr);
        mb::log::info("stopped");
        return 0;
    } catch (const std::exception& e) {
        mb::log::error("{}", e.what());
        return 1;
    }
}
