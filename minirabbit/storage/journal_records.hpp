// minirabbit/storage/journal_records.hpp
//
// The journal's record format, shared by the journal's three files: journal.cpp (writing, group
// commit, compaction), journal_recovery.cpp (checking and replaying every record at start) and
// journal_paging.cpp (reading one record back for a body that was paged out of RAM).
//
//   file:    "MRJOURN1" | record | record | ...
//   record:  length u32 | crc32c u32 | type u8 | queue id u64 | seq u64 | payload of the type
//            publish: exchange shortstr | routing key shortstr | properties u32+bytes | body u32+bytes
//
// READ NEXT: journal_recovery.cpp (check_record, scan_journal: how a record is checked on recovery),
//            journal.cpp, journal_paging.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/message.hpp"

namespace minirabbit::journal_records {

// The magic names the format and its version ("1"): a file that does not start with it is not
// ours, and a future format can be told apart instead of being misread as damage.
constexpr std::string_view kMagic = "MRJOURN1";
enum RecordType : uint8_t { kPublish = 1, kRemove = 2, kQueueDeleted = 3 };

// A publish record's payload size, computed without writing it: type, queue id, seq, the two
// shortstrs with their length octets, and properties and body with their u32 lengths. Keeps
// live_bytes_ exact when a message is removed, so the compaction ratio is measured, not guessed.
// body_size(), not body().size(): a paged message has the same record as the full one, so its
// record's size (and the pread that reads it back) is known from the paged copy alone.
inline size_t publish_payload_size(const Message& m) {
    return 1 + 8 + 8 + 1 + m.exchange().size() + 1 + m.routing_key().size() + 4 + m.properties().size() + 4 +
           m.body_size();
}

// Checks the record at the start of `rest`: its size (header included) when it is whole and
// valid, else 0 with `problem` saying why.
size_t check_record(std::string_view rest, std::string& problem);

// The journal cannot keep its promise (a failed write, fsync or read): log and abort.
[[noreturn]] void die(const std::string& what);

}  // namespace minirabbit::journal_records
