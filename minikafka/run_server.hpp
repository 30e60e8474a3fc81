// minikafka/run_server.hpp - start the broker process, serve until SIGINT/SIGTERM, stop cleanly.
// Only main.cpp includes this; everything Asio stays in the .cpp files of the wiring.
#pragma once

#include "options.hpp"

namespace minikafka {

// Runs the broker until SIGINT/SIGTERM; returns the process exit code (run_server.cpp).
int run_server(const mb::Options& options);

}  // namespace minikafka
