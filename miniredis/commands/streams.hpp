// Stream helpers shared by streams.cpp and blocking.cpp: a client blocked in XREAD/XREADGROUP is
// served with the same code that serves it at once.
#pragma once

#include <string_view>

namespace miniredis {

class ServerState;
struct Client;

// Tries to serve `client` (blocked on stream `key`); true when it replied and must be unblocked.
bool serve_blocked_stream_reader(ServerState& server, Client& client, std::string_view key);

}  // namespace miniredis
