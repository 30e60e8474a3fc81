// miniredis/commands/lists.hpp
//
// CONCEPT: one pop/push/move implementation for the list commands and the blocking ones.
//
// List helpers shared by lists.cpp and blocking.cpp (BLPOP serves a waiting client with the same
// pop and move as LPOP and LMOVE).
//
// READ NEXT: lists.cpp, blocking.cpp.
#pragma once

#include <string>
#include <string_view>

#include "model/value.hpp"

namespace miniredis {

struct CommandContext;
class Broker;

List* read_list(CommandContext& ctx, std::string_view key, bool& ok);
List* existing_list_for_write(CommandContext& ctx, std::string_view key, bool& ok);
// Pushes and tells blocked clients the key has elements now. Every push that may meet a waiter goes
// through here - LPUSH/RPUSH, LMOVE's destination, a BLMOVE served later - so none forgets one.
// (LINSERT does not: it needs an existing list, and nobody waits on a non-empty one.)
void list_push(Broker& server, int db, std::string_view key, List& list, std::string_view element, bool left);
std::string list_pop(List& list, bool left);
bool parse_list_side(std::string_view word, bool& left);  // LEFT / RIGHT
// LMOVE: pops from source, pushes to target, replies the element (or null / WRONGTYPE).
void list_move(CommandContext& ctx, std::string_view source, std::string_view target, bool from_left, bool to_left);

}  // namespace miniredis
