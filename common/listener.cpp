// common/listener.cpp
//
// Accept loop and signal handling on Asio's C++20 coroutines (the shape of Asio's
// cpp20/coroutines/echo_server.cpp: a listener coroutine that co_spawns one per connection).
//
// CONCEPT: see listener.hpp. A graceful stop is the durability promise at shutdown: on SIGTERM the
// server's stop function closes the acceptor (no new work), flushes what it owes to disk (AOF,
// journal, segments) and only then stops the io_context, so `kill` never loses acknowledged data.
// READ NEXT: log.hpp ("listening on" is how tests find a --port 0 server).
#include "listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <chrono>

#include <memory>
#include <stdexcept>
#include <utility>

#include "log.hpp"

namespace mb::net {

// Bind and listen, or throw with the address in the message: "cannot listen on 127.0.0.1:6379:
// Address already in use" is the most common start-up failure, and it must say which address.
// reuse_address lets a restarted server bind while the old connections sit in TIME_WAIT.
tcp::acceptor listen(asio::io_context& io, const std::string& bind, uint16_t port, std::string_view what) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(bind, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot parse bind address '{}'", bind));
    tcp::endpoint endpoint(address, port);
    tcp::acceptor acceptor(io);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", bind, port, ec.message()));
    auto local = acceptor.local_endpoint();
    // Printed at every log level (write() does not filter): with --port 0 and --loglevel warning
    // this line is still the only way a user or a script learns the port.
    log::write(log::Level::info, fmt::format("{}{}listening on {}:{}", what, what.empty() ? "" : " ",
                                             local.address().to_string(), local.port()));
    return acceptor;
}

// One coroutine accepts; each accepted socket gets its own coroutine (co_spawn) and the loop goes
// straight back to accepting, so a slow client never delays the next connection. An exception that
// escapes a connection's coroutine ends that connection only, with a log line.
asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, ConnectionHandler handler) {
    auto executor = co_await asio::this_coro::executor;
    bool failing = false;  // said once per episode, not ten times a second
    while (acceptor.is_open()) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
        if (ec) {
            // EMFILE and friends: keep serving the clients we have and try again soon. Not at
            // once: the pending connection keeps the socket readable, and an immediate retry
            // would spin on the same error.
            if (!std::exchange(failing, true)) log::warn("accept failed: {}; retrying every 100 ms", ec.message());
            asio::steady_timer pause(executor, std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        if (std::exchange(failing, false)) log::info("accepting connections again");
        // Small replies must leave at once, not wait for Nagle's algorithm to coalesce them:
        // every broker here already batches its own writes per read.
        socket.set_option(tcp::no_delay(true), ec);
        asio::co_spawn(executor, handler(std::move(socket)), [](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& err) {
                log::warn("connection ended by an error: {}", err.what());
            }
        });
    }
}

// Every client is a file descriptor; the default soft limit (often 1024) would refuse the 1025th
// client. Raising the soft limit to the hard one is the same move as Redis' adjustOpenFilesLimit at
// start (which aims at maxclients + 32).
void raise_open_files_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    if (limit.rlim_cur < 4096)
        log::warn("only {} file descriptors allowed (ulimit -n): fewer clients and files than usual", limit.rlim_cur);
}

void on_stop_signal(asio::io_context& io, std::function<void()> on_stop) {
    auto signals = std::make_shared<asio::signal_set>(io, SIGINT, SIGTERM);
    signals->async_wait([signals, on_stop = std::move(on_stop)](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        log::info("received {}, shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
        on_stop();
    });
}

}  // namespace mb::net
