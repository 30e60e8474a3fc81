// miniredis/model/stream.cpp
//
// CONCEPT: the stream as an append-only log in compact blocks (see stream.hpp) - here the bytes.
//
// Stream: the block encoding, range walks, XDEL tombstones and trimming (see stream.hpp).
//
// An entry inside a block, byte by byte (all numbers are LEB128 varints, 1 byte when small):
//
//   flags   1 byte   bit 0: deleted (XDEL flips it in place), bit 1: same fields as the master
//   dms     varint   ms - block key's ms
//   seq     varint   seq - key's seq when dms == 0, else the raw seq (usually 0 or tiny)
//   [count  varint   number of fields, only when not "same fields"]
//   [field  varint length + bytes, each, only when not "same fields"]
//   value   varint length + bytes, one per field
//
// A reader never needs an entry's end before its start, so there is no back-pointer; reverse
// walks (XREVRANGE) first note where each entry of the block starts - at most 100 of them.
//
// READ NEXT: stream.hpp, commands/streams.cpp, docs/miniredis/04-streams.md (storage).
#include "stream.hpp"

#include <algorithm>

namespace miniredis {
namespace {

constexpr uint8_t kDeleted = 1;
constexpr uint8_t kSameFields = 2;

// LEB128: 7 bits per byte, the high bit says "more follows". Deltas and lengths are small, so
// almost every number of a block takes one byte - the trick that makes a listpack compact too.
void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

// Reading our own bytes: they were written by put_varint, so no bounds games are needed beyond
// the block's size.
uint64_t get_varint(const std::string& in, size_t& pos) {
    uint64_t v = 0;
    for (int shift = 0; pos < in.size(); shift += 7) {
        auto b = static_cast<uint8_t>(in[pos++]);
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
    }
    return v;
}

std::string_view get_str(const std::string& in, size_t& pos) {
    size_t n = get_varint(in, pos);
    std::string_view s(in.data() + pos, n);
    pos += n;
    return s;
}

void put_str(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out.append(s);
}

}  // namespace

// The one decoder every reader shares: it walks a block from its master entry to its end and
// hands each entry to f(flag_offset, id, deleted, fields_values) until f returns false. Field
// names of "same fields" entries come from the master (decoded once into `scratch`); the values
// are views into the block's bytes - nothing is copied, nothing allocated per entry.
template <typename F>
void Stream::walk(const StreamID& key, const Block& block, std::vector<std::string_view>& scratch, F&& f) {
    const std::string& d = block.data;
    // The master fields are at the start of the block.
    size_t pos = 0;
    size_t masters = get_varint(d, pos);
    scratch.resize(masters * 2);
    for (size_t i = 0; i < masters; ++i) scratch[i * 2] = get_str(d, pos);
    std::vector<std::string_view> own;
    while (pos < d.size()) {
        size_t flag_at = pos;
        auto flags = static_cast<uint8_t>(d[pos++]);
        uint64_t dms = get_varint(d, pos);
        uint64_t seq = get_varint(d, pos);
        StreamID id{key.ms + dms, dms == 0 ? key.seq + seq : seq};
        std::span<const std::string_view> fv;
        if (flags & kSameFields) {
            for (size_t i = 0; i < masters; ++i) scratch[i * 2 + 1] = get_str(d, pos);
            fv = scratch;
        } else {
            size_t n = get_varint(d, pos);
            own.resize(n * 2);
            for (size_t i = 0; i < n; ++i) own[i * 2] = get_str(d, pos);
            for (size_t i = 0; i < n; ++i) own[i * 2 + 1] = get_str(d, pos);
            fv = own;
        }
        if (!f(flag_at, id, (flags & kDeleted) != 0, fv)) return;
    }
}

// Appending only ever touches the last block: either there is room (fewer than 100 entries, under
// 4 KB) or a new block starts with this entry as its master. The caller guaranteed id > last_id,
// so the map's new key goes at the end (emplace_hint: O(1)).
void Stream::append(StreamID id, std::span<const std::string_view> fv) {
    size_t n = fv.size() / 2;
    auto last = blocks_.empty() ? blocks_.end() : std::prev(blocks_.end());
    if (last == blocks_.end() || last->second.entries >= kMaxBlockEntries ||
        last->second.data.size() >= kMaxBlockBytes) {
        // A full block will not grow again: give back the spare capacity of its string.
        if (last != blocks_.end()) last->second.data.shrink_to_fit();
        Block block;
        put_varint(block.data, n);
        for (size_t i = 0; i < n; ++i) put_str(block.data, fv[i * 2]);
        block.master_count = n;
        block.entries_offset = block.data.size();
        last = blocks_.emplace_hint(blocks_.end(), id, std::move(block));
    }
    Block& b = last->second;
    // Same fields as the master entry? Then only the values are stored.
    bool same = n == b.master_count;
    if (same) {
        size_t pos = 0;
        get_varint(b.data, pos);
        for (size_t i = 0; i < n && same; ++i) same = get_str(b.data, pos) == fv[i * 2];
    }
    const StreamID& key = last->first;
    uint64_t dms = id.ms - key.ms;
    b.last_offset = b.data.size();
    b.data.push_back(static_cast<char>(same ? kSameFields : 0));
    put_varint(b.data, dms);
    put_varint(b.data, dms == 0 ? id.seq - key.seq : id.seq);
    if (!same) {
        put_varint(b.data, n);
        for (size_t i = 0; i < n; ++i) put_str(b.data, fv[i * 2]);
    }
    for (size_t i = 0; i < n; ++i) put_str(b.data, fv[i * 2 + 1]);
    b.last = id;
    ++b.entries;
    ++b.live;
    ++length_;
    ++entries_added;
    last_id = id;
}

// XRANGE, XREAD, XINFO: find the block that may hold `lo` (the last block whose first ID is
// <= lo), then walk blocks in order until an ID passes `hi`. Blocks entirely below `lo` are
// skipped by their `last` ID without decoding.
void Stream::range(StreamID lo, StreamID hi, bool reverse,
                   const std::function<bool(const StreamEntryView&)>& visit) const {
    if (lo > hi || blocks_.empty()) return;
    std::vector<std::string_view> scratch;
    if (!reverse) {
        auto it = blocks_.upper_bound(lo);
        if (it != blocks_.begin()) --it;  // the block holding lo may start before it
        for (; it != blocks_.end() && it->first <= hi; ++it) {
            if (it->second.last < lo) continue;
            bool go_on = true;
            walk(it->first, it->second, scratch, [&](size_t, StreamID id, bool deleted, auto fv) {
                if (id > hi) return go_on = false;
                if (deleted || id < lo) return true;
                return go_on = visit(StreamEntryView{id, fv});
            });
            if (!go_on) return;
        }
        return;
    }
    auto it = blocks_.upper_bound(hi);
    while (it != blocks_.begin()) {
        --it;
        if (it->second.last < lo) return;
        // Note where each entry starts, then visit them backwards by re-walking from each start:
        // simpler is to collect the block's matching entries (at most 100) and replay them.
        std::vector<std::pair<StreamID, std::vector<std::string_view>>> entries;
        walk(it->first, it->second, scratch, [&](size_t, StreamID id, bool deleted, auto fv) {
            if (id > hi) return false;
            if (!deleted && id >= lo) entries.emplace_back(id, std::vector<std::string_view>(fv.begin(), fv.end()));
            return true;
        });
        for (auto e = entries.rbegin(); e != entries.rend(); ++e)
            if (!visit(StreamEntryView{e->first, e->second})) return;
    }
}

bool Stream::lookup(StreamID id, const std::function<void(const StreamEntryView&)>& visit) const {
    bool found = false;
    range(id, id, false, [&](const StreamEntryView& e) {
        found = true;
        if (visit) visit(e);
        return false;
    });
    return found;
}

// A tombstone: one bit in the entry's flag byte. The bytes stay (as in a listpack) until the
// whole block is garbage, then the block goes at once.
void Stream::mark_deleted(Blocks::iterator it, size_t flag_offset) {
    Block& b = it->second;
    b.data[flag_offset] = static_cast<char>(b.data[flag_offset] | kDeleted);
    --b.live;
    --length_;
    if (b.live == 0) blocks_.erase(it);
}

bool Stream::remove(StreamID id) {
    auto it = blocks_.upper_bound(id);
    if (it == blocks_.begin()) return false;
    --it;
    if (it->second.last < id) return false;
    std::vector<std::string_view> scratch;
    size_t at = SIZE_MAX;
    walk(it->first, it->second, scratch, [&](size_t flag_at, StreamID eid, bool deleted, auto) {
        if (eid == id && !deleted) at = flag_at;
        return eid < id;
    });
    if (at == SIZE_MAX) return false;
    mark_deleted(it, at);
    if (id > max_deleted_id) max_deleted_id = id;
    return true;
}

// Both trims share one loop: drop whole blocks from the front while allowed, then (exact mode
// only) tombstone single entries of the new first block.
size_t Stream::trim_maxlen(size_t maxlen, bool approx, size_t limit) {
    size_t removed = 0;
    std::vector<std::string_view> scratch;
    while (length_ > maxlen && !blocks_.empty()) {
        auto it = blocks_.begin();
        Block& b = it->second;
        if (length_ - b.live >= maxlen) {
            if (limit && removed + b.live > limit) break;
            removed += b.live;
            length_ -= b.live;
            blocks_.erase(it);
            continue;
        }
        if (approx) break;  // "~": never split a block
        size_t to_remove = length_ - maxlen;
        std::vector<size_t> offsets;
        walk(it->first, b, scratch, [&](size_t flag_at, StreamID, bool deleted, auto) {
            if (!deleted) offsets.push_back(flag_at);
            return offsets.size() < to_remove;
        });
        for (size_t off : offsets) b.data[off] = static_cast<char>(b.data[off] | kDeleted);
        b.live -= static_cast<uint32_t>(offsets.size());
        length_ -= offsets.size();
        removed += offsets.size();
        break;
    }
    return removed;
}

size_t Stream::trim_minid(StreamID minid, bool approx, size_t limit) {
    size_t removed = 0;
    std::vector<std::string_view> scratch;
    while (!blocks_.empty()) {
        auto it = blocks_.begin();
        Block& b = it->second;
        if (b.last < minid) {
            if (limit && removed + b.live > limit) break;
            removed += b.live;
            length_ -= b.live;
            blocks_.erase(it);
            continue;
        }
        if (approx) break;
        std::vector<size_t> offsets;
        walk(it->first, b, scratch, [&](size_t flag_at, StreamID id, bool deleted, auto) {
            if (id >= minid) return false;
            if (!deleted) offsets.push_back(flag_at);
            return true;
        });
        for (size_t off : offsets) b.data[off] = static_cast<char>(b.data[off] | kDeleted);
        b.live -= static_cast<uint32_t>(offsets.size());
        length_ -= offsets.size();
        removed += offsets.size();
        if (b.live == 0) blocks_.erase(it);
        break;
    }
    return removed;
}

// Redis stores first_id and updates it on every delete and trim; here it is found when asked
// (XINFO, lag): the first live entry of the first block, usually its very first entry.
StreamID Stream::first_id() const {
    StreamID first;
    range({0, 0}, StreamID::max(), false, [&](const StreamEntryView& e) {
        first = e.id;
        return false;
    });
    return first;
}

// Every XREAD/XREADGROUP asks "is there anything newer than X?": answered from the last block's
// bookkeeping unless its newest entry was deleted.
StreamID Stream::last_entry_id() const {
    if (blocks_.empty()) return {};
    const Block& newest = blocks_.rbegin()->second;
    if (!(static_cast<uint8_t>(newest.data[newest.last_offset]) & kDeleted)) return newest.last;
    StreamID last;
    range({0, 0}, StreamID::max(), true, [&](const StreamEntryView& e) {
        last = e.id;
        return false;
    });
    return last;
}

// COPY: blocks are plain bytes and copy as such; consumers are owned by their group, so the
// pending entries' consumer pointers must be re-pointed at the copies.
std::unique_ptr<Stream> Stream::clone() const {
    auto copy = std::make_unique<Stream>();
    copy->blocks_ = blocks_;
    copy->length_ = length_;
    copy->last_id = last_id;
    copy->max_deleted_id = max_deleted_id;
    copy->entries_added = entries_added;
    for (const auto& [name, g] : groups) {
        auto& ng = *copy->groups.emplace(name, std::make_unique<ConsumerGroup>()).first->second;
        ng.last_id = g->last_id;
        ng.entries_read = g->entries_read;
        for (const auto& [cname, c] : g->consumers) {
            StreamConsumer& nc = ng.consumer_or_create(cname, c->seen_time);
            nc.pending = c->pending;
        }
        for (const auto& [id, p] : g->pel) {
            PendingEntry& np = ng.pel[id];
            np = p;
            np.consumer = ng.consumer(p.consumer->name);
        }
    }
    return copy;
}

size_t Stream::bytes() const {
    size_t total = 0;
    for (const auto& [key, b] : blocks_) total += b.data.size();
    return total;
}

// --- what consumer groups need to know about gaps in the log (Redis 7's lag bookkeeping) ----

bool Stream::range_has_tombstones(StreamID start, StreamID end) const {
    if (length_ == 0 || max_deleted_id.is_zero()) return false;
    if (first_id() > max_deleted_id) return false;  // the latest tombstone is before the first entry
    return start <= max_deleted_id && max_deleted_id <= end;
}

// An entry's "number" in the log (1 for the first ever added) is only known when no entry before
// it was deleted out of order: then it is entries_added - length + position.
int64_t Stream::estimate_entries_read(StreamID id) const {
    if (entries_added == 0) return 0;
    if (length_ == 0 && id <= last_id) return static_cast<int64_t>(entries_added);
    if (id == last_id) return static_cast<int64_t>(entries_added);
    if (id > last_id) return ConsumerGroup::kEntriesReadUnknown;
    StreamID first = first_id();
    if (max_deleted_id.is_zero() || max_deleted_id < first) {
        if (id < first) return static_cast<int64_t>(entries_added - length_);
        if (id == first) return static_cast<int64_t>(entries_added - length_ + 1);
    }
    return ConsumerGroup::kEntriesReadUnknown;
}

int64_t Stream::group_lag(const ConsumerGroup& group) const {
    if (entries_added == 0) return 0;
    if (group.entries_read != ConsumerGroup::kEntriesReadUnknown &&
        !range_has_tombstones(group.last_id, StreamID::max()))
        return static_cast<int64_t>(entries_added) - group.entries_read;
    int64_t read = estimate_entries_read(group.last_id);
    return read == ConsumerGroup::kEntriesReadUnknown ? -1 : static_cast<int64_t>(entries_added) - read;
}

}  // namespace miniredis
