// minirabbit: an AMQP 0-9-1 broker that RabbitMQ's clients (pika, kombu/celery, amqp-tools,
// rabbitmq-c) use as if it were RabbitMQ. This file only wires things together: options, the
// broker model, the listener, the admin endpoint, and a clean stop on SIGTERM.
// Start reading at docs/minirabbit/README.md, or at server.hpp for the socket side.
#include <boost/asio/io_context.hpp>

#include "admin_http.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "model/broker.hpp"
#include "options.hpp"
#include "server.hpp"

namespace {

constexpr mb::OptionSpec kOptions[] = {
    {"port", "5672", "TCP port to listen on (0 = any free port)", mb::OptionKind::integer, 0, 65535},
    {"bind", "127.0.0.1", "address to listen on"},
    {"dir", ".", "data directory (definitions file and message journal)"},
    {"admin-port", "", "HTTP admin port: /healthz, /metrics, /api (0 = any free port; empty = off)"},
    {"loglevel", "info", "log level", mb::OptionKind::choice, 0, 0, "debug|info|warning|error"},
    {"vm-memory-high-watermark", "1gb",
     "message memory above which publishing connections are blocked (connection.blocked)", mb::OptionKind::bytes, 0},
    {"trace", "no", "log one line per publish showing its route", mb::OptionKind::boolean},
};

}  // namespace

int main(int argc, char** argv) {
    mb::log::set_program("minirabbit");
    mb::Options options;
    if (int code = options.parse_command_line(kOptions, argc, argv, "minirabbit", "[--name value ...]"); code >= 0)
        return code;
    mb::log::Level level = mb::log::Level::info;
    mb::log::parse_level(options.text("loglevel"), level);
    mb::log::set_level(level);
    try {
        rabbit::Broker broker;
        broker.memory_high_watermark = static_cast<uint64_t>(options.integer("vm-memory-high-watermark"));
        broker.trace = options.boolean("trace");
        // RabbitMQ's first start: vhost "/", user guest/guest (administrator, loopback only) with
        // full permissions on it.
        broker.add_vhost("/");
        broker.users().put_user("guest", "guest", {"administrator"});
        broker.users().set_permission("/", "guest", rabbit::Permission(".*", ".*", ".*"));

        rabbit::Server server(broker);
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
        metrics.gauge("minirabbit_message_memory_bytes", "Bytes held by live messages (the watermark's measure).",
                      [] { return static_cast<double>(rabbit::Message::live_bytes()); });
        boost::asio::io_context io(1);
        auto acceptor = mb::net::listen(io, options.text("bind"), static_cast<uint16_t>(options.integer("port")));
        if (!options.text("admin-port").empty())
            mb::start_admin_http(io, options.text("bind"), static_cast<uint16_t>(options.integer("admin-port")),
                                 metrics, nullptr);
        server.start(io, acceptor);
        mb::net::on_stop_signal(io, [&] {
            acceptor.close();
            server.stop();
            io.stop();
        });
        io.run();
        mb::log::info("stopped");
        return 0;
    } catch (const std::exception& e) {
        mb::log::error("{}", e.what());
        return 1;
    }
}
