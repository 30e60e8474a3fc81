// miniredis/model/stream.hpp
//
// Stream: an append-only log of entries (ID + field/value pairs), stored the way Redis stores it:
// packed in blocks, not one heap node per field.
//
// CONCEPT: the log is an ordered map from a block's first ID to a block of up to 100 entries
// (stream-node-max-entries) or ~4 KB (stream-node-max-bytes) - Redis uses a radix tree keyed by
// the big-endian ID, whose leaves are listpacks. A block is one std::string of bytes:
//
//   block "1700000000000-0" ->  [master fields: 2 "temp" "city"]            (written once)
//                               [flags|dms=0|dseq=0| "21" "Oslo"]           same fields as master:
//                               [flags|dms=3|seq=0 | "22" "Oslo"]           only values stored
//                               [flags|dms=3|dseq=1| 3 "a" "b" "c" ...]     other fields: spelled out
//
// IDs are delta-encoded against the block's key (a few bytes instead of 16), and field names that
// repeat - they nearly always do: every sensor reading has "temp" and "city" - are written once per
// block. XDEL only sets a flag in the entry (a tombstone) and a block whose entries are all deleted
// is dropped: appends never move data, and trimming the oldest entries (retention) drops whole
// blocks from the front - as cheap as Kafka deleting an old segment.
//
// Besides the entries a stream keeps counters Redis reports in XINFO and needs for consumer-group
// lag: last_id (the highest ID ever added, even if deleted since: IDs never go back),
// entries_added (ever), max_deleted_id (the highest ID deleted before its time).
// READ NEXT: consumer_group.hpp (who read what), commands/streams.cpp (the commands).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "consumer_group.hpp"
#include "stream_id.hpp"

namespace miniredis {

// One entry as the readers see it: views into the block's bytes, valid until the stream changes.
struct StreamEntryView {
    StreamID id;
    std::span<const std::string_view> fields_values;  // field, value, field, value, ...
};

class Stream {
public:
    // The block limits (CONFIG stream-node-max-entries / stream-node-max-bytes in Redis).
    static constexpr size_t kMaxBlockEntries = 100;
    static constexpr size_t kMaxBlockBytes = 4096;

    size_t length() const { return length_; }
    size_t blocks() const { return blocks_.size(); }

    // Appends an entry; `id` must be greater than last_id (the caller checked and replied).
    void append(StreamID id, std::span<const std::string_view> fields_values);

    // Calls `visit` for the entries with lo <= id <= hi, in ID order (or reversed), until it
    // returns false. Deleted entries are skipped.
    void range(StreamID lo, StreamID hi, bool reverse, const std::function<bool(const StreamEntryView&)>& visit) const;
    // The entry with this ID, if live: visit is called once.
    bool lookup(StreamID id, const std::function<void(const StreamEntryView&)>& visit = {}) const;

    bool remove(StreamID id);  // XDEL: true if it was there
    // Retention (XADD/XTRIM MAXLEN|MINID). `approx` (~) only drops whole blocks - cheap and
    // possibly keeping a few more than asked; `limit` caps the entries removed (0 = no cap).
    // Returns how many entries were removed.
    size_t trim_maxlen(size_t maxlen, bool approx, size_t limit);
    size_t trim_minid(StreamID minid, bool approx, size_t limit);

    StreamID first_id() const;       // the first live entry's ID, 0-0 when empty
    StreamID last_entry_id() const;  // the last live entry's ID, 0-0 when empty

    StreamID last_id;            // highest ID ever generated/added (XADD must go above it)
    StreamID max_deleted_id;     // highest ID removed by XDEL/XTRIM
    uint64_t entries_added = 0;  // entries ever added (XINFO entries-added; group lag)

    // Consumer groups by name, sorted (Redis keeps them in a radix tree: XINFO GROUPS is sorted).
    std::map<std::string, std::unique_ptr<ConsumerGroup>, std::less<>> groups;
    ConsumerGroup* group(std::string_view name) {
        auto it = groups.find(name);
        return it == groups.end() ? nullptr : it->second.get();
    }

    // Would the entry `id` be past the group's counter with tombstones in between? (lag, XINFO)
    bool range_has_tombstones(StreamID start, StreamID end) const;
    // How many entries were added up to and including `id`, when knowable (-1 otherwise).
    int64_t estimate_entries_read(StreamID id) const;
    // The lag of a group (entries not delivered yet), or -1 when unknown (XINFO GROUPS "lag").
    int64_t group_lag(const ConsumerGroup& group) const;

    // A deep copy, groups and PELs included (COPY).
    std::unique_ptr<Stream> clone() const;

    // The packed bytes, for memory reports.
    size_t bytes() const;

private:
    struct Block {
        std::string data;  // master fields, then entries (see above)
        StreamID last;     // the block's last ID (live or not): trimming by MINID needs it
        uint32_t entries = 0;
        uint32_t live = 0;
        size_t master_count = 0;    // number of master fields
        size_t entries_offset = 0;  // where the first entry starts
        size_t last_offset = 0;     // where the last entry starts (is the newest entry deleted?)
    };
    using Blocks = std::map<StreamID, Block>;

    // Walks the entries of one block (deleted ones too), decoding into `scratch`.
    template <typename F>
    static void walk(const StreamID& key, const Block& block, std::vector<std::string_view>& scratch, F&& f);
    void mark_deleted(Blocks::iterator it, size_t flag_offset);

    Blocks blocks_;
    size_t length_ = 0;
};

}  // namespace miniredis
