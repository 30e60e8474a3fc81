// miniredis/commands/streams.hpp
//
// Stream helpers shared by streams.cpp, stream_read.cpp, stream_groups.cpp, stream_info.cpp and
// blocking.cpp (a client blocked in XREAD/XREADGROUP is served with the same code that serves it at
// once).
//
// CONCEPT: see streams.cpp. The helpers are shared so that every stream command parses IDs, replies
// entries and propagates group changes the same way.
// READ NEXT: streams.cpp, stream_read.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "model/stream.hpp"
#include "protocol/reply.hpp"

namespace miniredis {

class Broker;
struct Client;
struct CommandContext;
struct Value;

// One text for every malformed ID, whichever command and argument: Redis words it once
// (streamGenericParseIDOrReply), and clients' tests match on it.
inline constexpr std::string_view kInvalidId = "ERR Invalid stream ID specified as stream command argument";

// Replies: an ID as "ms-seq", an entry as [id, [field, value, ...]].
void reply_id(Reply& r, StreamID id);
void reply_entry(Reply& r, const StreamEntryView& e);
// The stream in `v`, nullptr when absent; WRONGTYPE replied (ok = false) for another type.
Stream* stream_of(CommandContext& ctx, Value* v, bool& ok);
// Strict IDs ("123-4", "123"): replies Redis' invalid-ID error on failure.
std::optional<StreamID> strict_id(CommandContext& ctx, std::string_view text, uint64_t missing_seq = 0,
                                  bool reply = true);
// Range ends: "-", "+", "(id" (exclusive) or an ID. Strict IDs and range ends differ on purpose:
// "-" means "the smallest ID" in XRANGE, but as an ID to XACK or XADD it would be meaningless.
std::optional<StreamID> range_id(CommandContext& ctx, std::string_view text, bool is_start);
// An integer with a caller-chosen error: XCLAIM alone has four texts for four options.
std::optional<int64_t> ll_arg(CommandContext& ctx, std::string_view text, std::string_view error = errors::kNotInteger);
// Replies Redis' NOGROUP error for `group` on `key`.
void nogroup_for_key(CommandContext& ctx, std::string_view group, std::string_view key);

// Propagation of group state, as Redis does it (see streams.cpp).
void propagate_xclaim(Broker& server, int db, std::string_view key, std::string_view group_name,
                      const ConsumerGroup& group, StreamID id, const PendingEntry& p);
void propagate_group_id(Broker& server, int db, std::string_view key, std::string_view group_name,
                        const ConsumerGroup& group);
void group_changed(Broker& server);
StreamConsumer& consumer_for(Broker& server, int db, std::string_view key, std::string_view group_name,
                             ConsumerGroup& group, std::string_view name);

// Tries to serve `client` (blocked on stream `key`); true when it replied and must be unblocked.
bool serve_blocked_stream_reader(Broker& server, Client& client, std::string_view key);

}  // namespace miniredis
