// minikafka/run_server.cpp
//
// CONCEPT: a broker's life - start, serve, stop - on one thread and one io_context.
//
//   run_server ─► Broker (broker_options.cpp: options -> configs) ─► load() the log dirs
//              ─► listen ─► accept_loop ─► serve_connection   (server.cpp: the session loop)
//              ─► admin HTTP endpoint                          (admin_api.cpp: /api, /healthz)
//              ─► cluster node, when configured                (controller_link.cpp)
//              ─► housekeeping: Broker::tick every kTickMs     (flush by time, retention, groups)
//              ─► io.run() ... SIGTERM ─► resign, drain the background worker, fsync everything
//
// The Broker itself knows no sockets and no clock: it gets BrokerServices (the time, "run this
// later", the background worker), which this file implements with Asio timers and posts. That
// is what lets the unit tests drive a Broker with a fake clock.
// READ NEXT: server.cpp (one connection's requests and replies), core/broker.hpp.
#include "run_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>

#include "admin_api.hpp"
#include "admin_http.hpp"
#include "broker_options.hpp"
#include "controller_link.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "server.hpp"
#include "server_metrics.hpp"
#include "trace_ring.hpp"

namespace minikafka {

namespace asio = boost::asio;
using asio::awaitable;
using mb::net::tcp;

namespace {

int64_t wall_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Flush by time, retention, group session timeouts: Broker::tick, every kTickMs.
awaitable<void> housekeeping(Broker& broker) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(std::chrono::milliseconds(Broker::kTickMs));
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        broker.tick();
    }
}

}  // namespace

int run_server(const mb::Options& options) {
    mb::log::Level level = mb::log::Level::info;
    mb::log::parse_level(options.text("loglevel"), level);
    mb::log::set_level(level);
    // sendfile() to a socket the client has closed raises SIGPIPE (Asio's own writes use
    // MSG_NOSIGNAL); we want the EPIPE error instead, which ends just that connection.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        asio::io_context io(1);
        std::string dir = options.text("dir");
        std::filesystem::create_directories(dir);

        BackgroundWorker background([&io](std::function<void()> done) { asio::post(io, std::move(done)); });
        BrokerServices services;
        services.now_ms = wall_clock_ms;
        services.run_later = [&io](int64_t delay_ms, std::function<void()> callback) {
            if (delay_ms <= 0) return asio::post(io, std::move(callback));
            auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(delay_ms));
            timer->async_wait([timer, callback = std::move(callback)](const boost::system::error_code& ec) {
                if (!ec) callback();
            });
        };
        services.background = &background;

        Broker broker(broker_config(options, dir), log_defaults(options), group_config(options), dir, services);
        mb::net::raise_open_files_limit();  // before load(): every segment file holds a descriptor
        broker.load(!options.text("controller.quorum.voters").empty());

        mb::Metrics metrics;
        SessionMetrics session_metrics = make_session_metrics(metrics);
        register_metrics(metrics, broker, session_metrics);  // server_metrics.cpp

        auto acceptor = mb::net::listen(io, options.text("bind"), static_cast<uint16_t>(options.integer("port")));
        broker.config.port = acceptor.local_endpoint().port();
        broker.config.advertised_host = options.text("advertised.host.name");
        if (broker.config.advertised_host.empty()) {
            std::string bind = options.text("bind");
            broker.config.advertised_host = bind == "0.0.0.0" || bind == "::" ? "127.0.0.1" : bind;
        }
        broker.tracing = options.boolean("trace");
        broker.trace_sink = [](std::string_view line) { mb::trace::emit(line); };  // the log and the live page
        AdminContext admin{broker, session_metrics, dir, static_cast<uint64_t>(options.integer("disk-free-limit"))};
        if (!options.text("admin-port").empty())
            mb::start_admin_http(io, options.text("bind"), static_cast<uint16_t>(options.integer("admin-port")),
                                 metrics, [&admin](const mb::HttpRequest& r) { return admin_api(admin, r); },
                                 {.index_html = admin_page(),
                                  .health = [&admin] { return health_problems(admin); },
                                  .pages = {}});  // admin_api.cpp

        ClusterNodePtr cluster = start_cluster_node(io, options, broker);  // null in single-node mode

        mb::net::ConnectionHandler handler = [&broker, &session_metrics](tcp::socket socket) {
            return serve_connection(std::move(socket), broker, session_metrics);
        };
        asio::co_spawn(io, mb::net::accept_loop(acceptor, std::move(handler)), asio::detached);
        asio::co_spawn(io, housekeeping(broker), asio::detached);
        mb::net::on_stop_signal(io, [&] {
            acceptor.close();
            io.stop();
        });
        io.run();
        if (cluster) stop_cluster_node(io, *cluster);  // a leader resigns (EndQuorumEpoch) first
        // Graceful stop: everything appended reaches the disk before we exit.
        background.drain();
        broker.flush_everything_now();
        mb::log::info("stopped");
        return 0;
    } catch (const std::exception& e) {
        mb::log::error("{}", e.what());
        return 1;
    }
}

}  // namespace minikafka
