// common/listener.hpp
//
// The TCP front door all three servers share: bind + listen, an accept loop that gives every
// connection its own coroutine, and a graceful stop on SIGINT/SIGTERM.
//
//   listen()        bind the address, log "listening on 127.0.0.1:PORT" (--port 0 = a free port)
//   accept_loop()   co_await accept -> co_spawn(handler(socket)) -> accept again
//   on_stop_signal  SIGINT/SIGTERM -> the server's stop function (close the acceptor, flush
//                   persistence, stop the io_context), so main() returns 0
//
// Everything else - reading frames, running commands, writing replies - is each server's own
// short session loop (e.g. miniredis/server.cpp), so a lecture can read one broker alone.
// Only wiring files include this header: it pulls in Asio, which is slow to compile.
//
// CONCEPT: the accept loop of the architecture notes, on C++20 coroutines: a connection's handler
// reads like blocking code (co_await read, co_await write) but costs one small frame instead of a
// thread, and all of them run on the broker's one thread - the concurrency model of
// docs/architecture.md. miniredis accepts here too, then moves each socket into its own epoll loop
// (miniredis/server.cpp says why).
// READ NEXT: listener.cpp, minirabbit/server.cpp (a session coroutine).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace mb::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Binds and listens; throws std::runtime_error naming the address when it cannot (port in use).
// `what` prefixes the log line ("admin" -> "admin listening on ..."), empty for the broker port.
tcp::acceptor listen(asio::io_context& io, const std::string& bind, uint16_t port, std::string_view what = "");

// Runs until the acceptor is closed. A handler that throws ends only its own connection.
// When accept fails (EMFILE: no descriptor left) it waits a moment before trying again.
// co_spawn it from plain code (main, a server's start()); awaiting it with a temporary handler
// from inside another coroutine trips a GCC 12 bug (see docs/architecture.md).
using ConnectionHandler = std::function<asio::awaitable<void>(tcp::socket)>;
asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, ConnectionHandler handler);

// Every connection holds a file descriptor (and in minikafka every segment file does too). The
// soft limit is often 1024 while the hard limit is far higher: like Redis (adjustOpenFilesLimit),
// raise the soft limit to the hard one at start, and log the budget when it stays small.
void raise_open_files_limit();

// Calls `on_stop` once, on the io_context's thread, when SIGINT or SIGTERM arrives.
void on_stop_signal(asio::io_context& io, std::function<void()> on_stop);

}  // namespace mb::net
