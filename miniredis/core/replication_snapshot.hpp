// The snapshot a full resync transfers - one function on each side, so the format can change
// (miniredis' own snapshot today, Redis' RDB when storage/ speaks it) without touching replication.
//
// READ NEXT: core/replication_master.cpp (replica_sync sends it), core/replication_replica.cpp
// (the transfer state loads it).
#pragma once

#include <string>
#include <string_view>

namespace miniredis {

class ServerState;

// The whole dataset, as the bytes of a `$<len>\r\n<bytes>` transfer.
std::string snapshot_for_replica(ServerState& server);

// Replaces the whole dataset by the master's snapshot. "" or the reason it was refused (the
// dataset is then empty: a replica never serves half a snapshot).
std::string load_snapshot_from_master(ServerState& server, std::string_view bytes);

}  // namespace miniredis
