// CONCEPT: loading an RDB file - ours, or one written by redis-server (7.0 and older: listpacks,
// ziplists, intsets, zipmaps, LZF, quicklists, streams with groups) - defensively: the file comes
// from a disk that may have failed or from another program, so every length is checked against
// the bytes left, every packed blob is validated before it is believed, and nothing is
// half-loaded:
//
//   load every key into fresh databases  ->  check the CRC64 trailer  ->  only then hand them over
//   (any error: the databases stay as they were, and the error names the byte)
//
// API - usable by anything that holds the bytes (start-up, the AOF preamble, replication):
//
//   RdbLoadResult r = load_rdb(bytes, databases);
//   if (!r.ok) ... r.error is "corrupt at byte N: what", r.error_offset is N
//   r.consumed: the bytes the RDB occupied (an AOF with a preamble continues after it)
//
// A wrong checksum cannot say which byte changed: its offset is where the checksum is. A
// checksum of 0 means "not computed" (redis.conf `rdbchecksum no`) and is accepted, as Redis does.
// Not loaded (refused with a message): module types and module AUX data, FUNCTION libraries.
// READ NEXT: rdb_format.hpp, rdb_loader.cpp (the walk), rdb_values.cpp (the decoders), rdb_writer.hpp,
// snapshot.hpp (start-up and --repair use this).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/database.hpp"

namespace miniredis {

struct RdbLoadResult {
    bool ok = false;
    size_t consumed = 0;                                   // bytes from the start of `bytes` to the end of the CRC
    size_t keys = 0;                                       // keys loaded
    size_t error_offset = 0;                               // where loading stopped
    std::string error;                                     // "corrupt at byte N: ..."
    std::vector<std::pair<std::string, std::string>> aux;  // the AUX fields, in file order
};

struct RdbLoadOptions {
    // --repair: ignore the checksum and keep every key read before the first broken one (the
    // result still says what went wrong and where).
    bool salvage = false;
};

// Loads the RDB at the start of `bytes` into `databases` (normally empty; a key that exists is
// replaced). On any error nothing is changed, unless options.salvage.
RdbLoadResult load_rdb(std::string_view bytes, std::vector<Database>& databases, const RdbLoadOptions& options = {});

// The same loader, fed as the bytes arrive - a replica's `repl-diskless-load`: the RDB is parsed
// straight from the socket, each record as soon as it is whole, instead of being kept (or written
// to disk) until the transfer ends. Keys go into fresh databases shaped like `like`; nothing
// reaches a live dataset until finish() found the file complete and sound and commit() is called.
//
//   RdbStreamLoader loader(databases);
//   while (bytes arrive) if (!loader.feed(bytes)) ... corrupt: stop at once, finish() says where
//   RdbLoadResult r = loader.finish();      // the transfer ended: EOF, checksum, duplicates
//   if (r.ok) loader.commit(databases);     // (clear them first to replace the dataset)
//
// A record cut at the end of what arrived is parsed again from its start once more came; the
// checksum is computed on the way.
class RdbStreamLoader {
public:
    explicit RdbStreamLoader(const std::vector<Database>& like);
    ~RdbStreamLoader();
    RdbStreamLoader(const RdbStreamLoader&) = delete;
    RdbStreamLoader& operator=(const RdbStreamLoader&) = delete;

    bool feed(std::string_view bytes);                // false once the bytes are known to be corrupt
    RdbLoadResult finish();                           // no more bytes: ok, or the error and its offset
    size_t commit(std::vector<Database>& databases);  // after an ok finish(): keys moved

private:
    struct State;
    std::unique_ptr<State> s_;
};

// Only the AUX fields at the head of an RDB (redis-ver, ctime, repl-id, repl-offset...), without
// loading anything - what a restarting replica needs to know which history its file holds. A
// damaged header gives the fields before the damage.
std::vector<std::pair<std::string, std::string>> rdb_aux_fields(std::string_view bytes);

// True when `bytes` starts like an RDB file ("REDIS" and four digits).
bool looks_like_rdb(std::string_view bytes);

}  // namespace miniredis
