// miniredis/commands/blocking.hpp
//
// Shared by the blocking commands' files (blocking.cpp, mpop.cpp, streams.cpp).
//
// CONCEPT: see blocking.cpp - a client that waits for a key. These helpers are shared so that
// "BLPOP served later" and "LPOP now" run the same pop code.
// READ NEXT: blocking.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace miniredis {

struct CommandContext;
struct Client;
class Broker;

// Redis' blocking timeout in seconds (a float, 0 = for ever) -> absolute deadline in Unix ms
// (0 = none); nullopt after replying the error.
std::optional<int64_t> parse_block_timeout(CommandContext& ctx, std::string_view text);

// mpop.cpp: serves a client blocked in BLMPOP if `key` holds a non-empty list. A free function, not
// a Broker method like serve_list_waiter: BLMPOP's pop and reply live in mpop.cpp with LMPOP's, and
// the registry only needs to know whom to ask.
bool serve_list_mpop_waiter(Broker& server, int db, const std::string& key, Client& client);

}  // namespace miniredis
