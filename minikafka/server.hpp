// minikafka/server.hpp - the session loop: one TCP connection's requests in, replies out.
// Only run_server.cpp includes this (it hands every accepted socket to serve_connection).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "listener.hpp"

namespace minikafka {

class Broker;
struct SessionMetrics;

// Serves one client connection until it closes, sends a malformed request, or the broker stops.
boost::asio::awaitable<void> serve_connection(mb::net::tcp::socket socket, Broker& broker, SessionMetrics& metrics);

}  // namespace minikafka
