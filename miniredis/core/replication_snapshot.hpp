// The snapshot a full resync transfers - Redis's RDB, one function on each side, plus the reader
// of the (replid, offset) the file was taken at.
//
// READ NEXT: core/replication_master.cpp (replica_sync sends it), core/replication_replica.cpp
// (the transfer state loads it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace miniredis {

class Broker;
class RdbSink;

using AuxFields = std::vector<std::pair<std::string, std::string>>;

// Where in which history the dataset is, as the three AUX fields Redis writes: repl-stream-db
// (the database the stream is in), repl-id, repl-offset. Written into every snapshot file of a
// server that has a history to continue - a replica (its master's), a master with a backlog -
// so that a restart from that file can ask PSYNC <repl-id> <repl-offset+1>. Empty otherwise.
AuxFields replication_aux_fields(const Broker& server);

// The whole dataset as an RDB file, with our (replid, offset) as AUX fields, into `sink`: the
// bytes of a full resync (a disk-based `$<len>` transfer or a diskless `$EOF:<mark>` one).
void write_snapshot_for_replica(Broker& server, RdbSink& sink);
std::string snapshot_for_replica(Broker& server);

// Replaces the whole dataset by the master's snapshot. "" or the reason it was refused (the
// dataset is then empty: a replica never serves half a snapshot).
std::string load_snapshot_from_master(Broker& server, std::string_view bytes);

// The history an RDB file belongs to, from its repl-id and repl-offset AUX fields (ours or
// redis-server's). False when it has none: a file SAVEd by a master, or by miniredis itself.
// `stream_db`: the database the stream continues in (repl-stream-db, 0 when absent).
bool snapshot_history(std::string_view bytes, std::string& replid, uint64_t& offset, int& stream_db);
// The same, from AUX fields already read (a loader's RdbLoadResult::aux).
bool snapshot_history(const AuxFields& aux, std::string& replid, uint64_t& offset, int& stream_db);

}  // namespace miniredis
