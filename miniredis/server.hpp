// The wiring: sockets, timers and signals around Broker (see server.cpp).
#pragma once

#include "core/config.hpp"

namespace miniredis {

// Loads the data (snapshot, then AOF), listens, serves until SIGTERM/SIGINT or SHUTDOWN, flushes,
// and returns the process exit code.
int run_server(Config config);

}  // namespace miniredis
