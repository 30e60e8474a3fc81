// minikafka/server.hpp - the wiring: sockets, timers and threads around the broker.
// Only main.cpp includes this; everything Asio stays in server.cpp.
#pragma once

#include "options.hpp"

namespace minikafka {

// The option table main() parses (Kafka's property names; see docs/minikafka/README.md).
std::span<const mb::OptionSpec> server_options();

// Runs the broker until SIGINT/SIGTERM; returns the process exit code.
int run_server(const mb::Options& options);

}  // namespace minikafka
