// The snapshot a full resync transfers - Redis's RDB, one function on each side, plus the reader
// of the (replid, offset) the file was taken at.
//
// READ NEXT: core/replication_master.cpp (replica_sync sends it), core/replication_replica.cpp
// (the transfer state loads it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace miniredis {

class ServerState;

// The whole dataset as an RDB file, with our (replid, offset) as AUX fields: the bytes of a
// `$<len>\r\n<bytes>` transfer.
std::string snapshot_for_replica(ServerState& server);

// Replaces the whole dataset by the master's snapshot. "" or the reason it was refused (the
// dataset is then empty: a replica never serves half a snapshot).
std::string load_snapshot_from_master(ServerState& server, std::string_view bytes);

// The history an RDB file belongs to, from its repl-id and repl-offset AUX fields (ours or
// redis-server's). False when it has none: a file SAVEd by a master, or by miniredis itself.
bool snapshot_history(std::string_view bytes, std::string& replid, uint64_t& offset);

}  // namespace miniredis
