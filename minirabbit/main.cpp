// minirabbit: placeholder wiring until its own issue lands - options, listener, admin endpoint and a
// graceful stop, but no protocol yet: every connection is accepted and closed.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "admin_http.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "options.hpp"

namespace {

constexpr mb::OptionSpec kOptions[] = {
    {"port", "5672", "TCP port to listen on (0 = any free port)", mb::OptionKind::integer, 0, 65535},
    {"bind", "127.0.0.1", "address to listen on"},
    {"dir", ".", "data directory"},
    {"admin-port", "", "HTTP admin port: /healthz, /metrics, /api (0 = any free port; empty = off)"},
    {"loglevel", "info", "log level", mb::OptionKind::choice, 0, 0, "debug|info|warning|error"},
};

// No protocol yet: the connection is closed as soon as it is accepted.
boost::asio::awaitable<void> hang_up(mb::net::tcp::socket) { co_return; }

}  // namespace

int main(int argc, char** argv) {
    mb::log::set_program("minirabbit");
    mb::Options options;
    if (int code = options.parse_command_line(kOptions, argc, argv, "minirabbit", "[--name value ...]"); code >= 0)
        return code;
    try {
        boost::asio::io_context io(1);
        mb::Metrics metrics;
        mb::Counter& connections = metrics.counter("minirabbit_connections_total", "Connections accepted.");
        auto acceptor = mb::net::listen(io, options.text("bind"), static_cast<uint16_t>(options.integer("port")));
        if (!options.text("admin-port").empty())
            mb::start_admin_http(io, options.text("bind"), static_cast<uint16_t>(options.integer("admin-port")),
                                 metrics, nullptr);
        mb::net::ConnectionHandler handler = [&connections](mb::net::tcp::socket socket) {
            connections.inc();
            return hang_up(std::move(socket));
        };
        boost::asio::co_spawn(io, mb::net::accept_loop(acceptor, handler), boost::asio::detached);
        mb::net::on_stop_signal(io, [&] {
            acceptor.close();
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
