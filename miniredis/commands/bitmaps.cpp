// miniredis/commands/bitmaps.cpp
//
// Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO (bitops.c).
//
// CONCEPT: a bitmap is a plain string addressed bit by bit (model/bitops.hpp draws the bit order).
// The classic use is one bit per user per day:
//
//   SETBIT active:2026-12-07 <user id> 1          on every login (O(1), the string grows as needed)
//   BITCOUNT active:2026-12-07                     daily active users
//   BITOP AND active:both active:mon active:tue    users active on both days; BITCOUNT it
//
// A million users cost 125 KB per day - a set of a million ids would cost tens of megabytes.
// The price is that the ids must be small dense integers: SETBIT k 4000000000 1 allocates 500 MB.
// So offsets are capped like any string, by proto-max-bulk-len (512 MB = bit 2^32 - 1), and
// refused with "bit offset is not an integer or out of range" beyond.
//
// Writes grow the string with zero bytes (like SETRANGE); reads past the end see zeros - a missing
// key is an infinitely long string of zeros. As strings, bitmaps travel through GET/SET, the AOF
// and snapshots unchanged.
//
// READ NEXT: model/bitops.cpp for the bit arithmetic; commands/geo.cpp for another type hidden in
// an existing one.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "model/bitops.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {
namespace {

constexpr std::string_view kBadOffset = "ERR bit offset is not an integer or out of range";

// A bit offset argument: "123", or for BITFIELD "#3" = the 3rd field of `width` bits. Redis
// multiplies in 64 bits without an overflow check, and so do we: a product that wraps negative
// is refused like any negative offset.
// "#N" exists so that an array of equal-width counters needs no offset arithmetic in the client:
// BITFIELD k INCRBY u8 #7 1 bumps the 8th byte-wide counter, whatever the width is changed to later.
std::optional<uint64_t> bit_offset(CommandContext& ctx, size_t i, bool hash = false, unsigned width = 0) {
    std::string_view text = ctx.arg(i);
    bool use_hash = hash && !text.empty() && text.front() == '#';
    auto n = parse_int64(use_hash ? text.substr(1) : text);
    if (!n) {
        ctx.reply.error(kBadOffset);
        return std::nullopt;
    }
    int64_t offset = *n;
    if (use_hash) offset = static_cast<int64_t>(static_cast<uint64_t>(offset) * width);
    // Also below 4 GB whatever proto-max-bulk-len says: SmallString sizes are 32-bit.
    int64_t max_bytes = std::min<int64_t>(ctx.server.config.proto_max_bulk_len, UINT32_MAX - 8);
    if (offset < 0 || (offset >> 3) >= max_bytes) {
        ctx.reply.error(kBadOffset);
        return std::nullopt;
    }
    return static_cast<uint64_t>(offset);
}

// The string at argv[1], created or grown with zero bytes so that bit `max_bit` exists (Redis'
// lookupStringForBitCommand). nullptr after a WRONGTYPE reply; `grown` when it was created or grew.
// Growing is a write even when the bit written is 0: "SETBIT k 100000 0" on a missing key creates a
// 12.5 KB string of zeros, and that change must reach WATCH and the AOF like any other (`grown`).
SmallString* string_for_bits(CommandContext& ctx, uint64_t max_bit, bool& grown) {
    size_t need = static_cast<size_t>(max_bit >> 3) + 1;
    Value* v = ctx.lookup_write(ctx.arg(1));
    grown = false;
    SmallString* s;
    if (!v) {
        s = ctx.db().set(ctx.arg(1), Value::of_string("")).string();
    } else if (!(s = ctx.as_string(v))) {
        return nullptr;
    }
    if (s->size() < need) {
        s->resize(need);
        grown = true;
    }
    return s;
}

// Redis' range rule for BITCOUNT/BITPOS: negative indexes count from the end, then clamp.
// Unlike LRANGE's, this clamps `end` below 0 to 0 as well, so "BITCOUNT k -100 -50" on a 10-byte
// string still counts byte 0 - Redis' bitcountCommand does exactly this, and we follow it.
void clamp_range(int64_t& start, int64_t& end, int64_t total) {
    if (start < 0) start += total;
    if (end < 0) end += total;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= total) end = total - 1;
}

// BITFIELD's type argument: i1..i64 or u1..u63.
bool bitfield_type(CommandContext& ctx, std::string_view text, bool& is_signed, unsigned& width) {
    std::optional<int64_t> n;
    // u64 is refused because BITFIELD replies are signed 64-bit integers: an unsigned 64-bit field
    // could hold a value no reply could carry.
    if (!text.empty() && (text[0] == 'i' || text[0] == 'u')) n = parse_int64(text.substr(1));
    is_signed = !text.empty() && text[0] == 'i';
    if (!n || *n < 1 || *n > (is_signed ? 64 : 63)) {
        ctx.reply.error(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
        return false;
    }
    width = static_cast<unsigned>(*n);
    return true;
}

// One parsed BITFIELD operation. OVERFLOW is not an operation but a mode: it applies to the SET
// and INCRBY operations that follow it, until the next OVERFLOW - hence it is copied into each op.
struct FieldOp {
    enum Kind { get, set, incrby } kind;
    uint64_t offset;
    int64_t value;
    bool is_signed;
    unsigned width;
    bits::Overflow overflow;
};

// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset incr] [OVERFLOW
// WRAP|SAT|FAIL] ...: many small counters packed in one string - e.g. 1000 u8 counters in 1000 bytes
// - updated in one atomic command. Everything is parsed first, so a bad operation anywhere
// changes nothing; then the string is grown once to the highest bit any write touches.
void bitfield_generic(CommandContext& ctx, bool read_only_command) {
    std::vector<FieldOp> ops;
    bits::Overflow overflow = bits::Overflow::wrap;
    bool writes = false;
    uint64_t highest_bit = 0;
    for (size_t j = 2; j < ctx.argc(); ++j) {
        size_t left = ctx.argc() - j - 1;
        std::string_view sub = ctx.arg(j);
        FieldOp op{};
        if (equals_ignore_case(sub, "GET") && left >= 2) {
            op.kind = FieldOp::get;
        } else if (equals_ignore_case(sub, "SET") && left >= 3) {
            op.kind = FieldOp::set;
        } else if (equals_ignore_case(sub, "INCRBY") && left >= 3) {
            op.kind = FieldOp::incrby;
        } else if (equals_ignore_case(sub, "OVERFLOW") && left >= 1) {
            std::string_view how = ctx.arg(++j);
            if (equals_ignore_case(how, "WRAP"))
                overflow = bits::Overflow::wrap;
            else if (equals_ignore_case(how, "SAT"))
                overflow = bits::Overflow::sat;
            else if (equals_ignore_case(how, "FAIL"))
                overflow = bits::Overflow::fail;
            else
                return ctx.reply.error("ERR Invalid OVERFLOW type specified");
            continue;
        } else {
            return ctx.syntax_error();
        }
        if (!bitfield_type(ctx, ctx.arg(j + 1), op.is_signed, op.width)) return;
        auto offset = bit_offset(ctx, j + 2, true, op.width);
        if (!offset) return;
        op.offset = *offset;
        if (op.kind != FieldOp::get) {
            writes = true;
            highest_bit = std::max(highest_bit, op.offset + op.width - 1);
            auto value = ctx.int_arg(j + 3);
            if (!value) return;
            op.value = *value;
        }
        op.overflow = overflow;
        ops.push_back(op);
        j += op.kind == FieldOp::get ? 2 : 3;
    }

    SmallString* s = nullptr;
    // Only GETs: a read, which never creates the key (a missing key reads as zeros).
    if (!writes) {
        Value* v = ctx.lookup_read(ctx.arg(1));
        if (v && !(s = ctx.as_string(v))) return;
    } else {
        if (read_only_command) return ctx.reply.error("ERR BITFIELD_RO only supports the GET subcommand");
        bool grown;
        if (!(s = string_for_bits(ctx, highest_bit, grown))) return;
    }

    // One reply per GET/SET/INCRBY, in order (OVERFLOW has none). The three overflow modes are
    // what makes BITFIELD a counter store rather than raw bit twiddling:
    //   WRAP  modular arithmetic, as C's unsigned integers: u8 255 + 1 = 0 (the default);
    //   SAT   clamp to the type's range: u8 250 + 10 = 255 - a counter that sticks at its maximum
    //         instead of falling back to zero, the right shape for "hits this minute";
    //   FAIL  write nothing and reply nil for that operation; the other operations still run.
    ctx.reply.array(ops.size());
    size_t changes = 0;
    for (const FieldOp& op : ops) {
        if (op.kind == FieldOp::get) {
            // Copy up to 9 bytes (a 64-bit field at any bit offset spans at most 9) into a
            // zero-padded buffer: a read past the end of the string sees zeros.
            uint8_t buf[9] = {0};
            uint64_t byte = op.offset >> 3;
            for (uint64_t i = 0; s && i < 9 && byte + i < s->size(); ++i)
                buf[i] = static_cast<uint8_t>(s->data()[byte + i]);
            uint64_t at = op.offset - byte * 8;
            if (op.is_signed)
                ctx.reply.integer(bits::get_signed(buf, at, op.width));
            else
                ctx.reply.integer(static_cast<int64_t>(bits::get_unsigned(buf, at, op.width)));
            continue;
        }
        // SET replies the field's *old* value (like GETSET), INCRBY the *new* one (like INCRBY): the
        // two are told apart by `reply`. Signed and unsigned fields need separate arithmetic - a
        // signed field of width w holds -2^(w-1)..2^(w-1)-1, and its overflow is judged on that
        // range (bits::check_signed), not on int64_t's.
        auto* p = reinterpret_cast<uint8_t*>(s->data());
        bool failed;
        int64_t reply;
        uint64_t store;
        if (op.is_signed) {
            int64_t old = bits::get_signed(p, op.offset, op.width), wrapped = 0, next;
            int over;
            if (op.kind == FieldOp::incrby) {
                over = bits::check_signed(old, op.value, op.width, op.overflow, wrapped);
                next =
                    over ? wrapped : static_cast<int64_t>(static_cast<uint64_t>(old) + static_cast<uint64_t>(op.value));
                reply = next;
            } else {
                over = bits::check_signed(op.value, 0, op.width, op.overflow, wrapped);
                next = over ? wrapped : op.value;
                reply = old;
            }
            failed = over && op.overflow == bits::Overflow::fail;
            store = static_cast<uint64_t>(next);
        } else {
            uint64_t old = bits::get_unsigned(p, op.offset, op.width), wrapped = 0, next;
            int over;
            if (op.kind == FieldOp::incrby) {
                over = bits::check_unsigned(old, op.value, op.width, op.overflow, wrapped);
                next = over ? wrapped : old + static_cast<uint64_t>(op.value);
                reply = static_cast<int64_t>(next);
            } else {
                over = bits::check_unsigned(static_cast<uint64_t>(op.value), 0, op.width, op.overflow, wrapped);
                next = over ? wrapped : static_cast<uint64_t>(op.value);
                reply = static_cast<int64_t>(old);
            }
            failed = over && op.overflow == bits::Overflow::fail;
            store = next;
        }
        if (failed) {
            ctx.reply.null();  // OVERFLOW FAIL: nothing written, nil
        } else {
            ctx.reply.integer(reply);
            bits::set_unsigned(p, op.offset, op.width, store);
        }
        // Every SET/INCRBY counts as a change - also one that OVERFLOW FAIL refused: the count is of
        // write operations, and the command is propagated whole whenever it had one.
        ++changes;
    }
    // modified() counts one change; Redis counts one per write operation for the save rules.
    if (changes) {
        ctx.modified(ctx.arg(1));
        ctx.server.dirty += changes - 1;
    }
}

}  // namespace

// SETBIT key offset 0|1: replies the bit's old value.
void cmd_setbit(CommandContext& ctx) {
    auto offset = bit_offset(ctx, 2);
    if (!offset) return;
    auto on = ctx.int_arg(3, "ERR bit is not an integer or out of range");
    if (!on) return;
    // Only 0 or 1: any other integer is the same error as a non-integer.
    if (*on & ~int64_t{1}) return ctx.reply.error("ERR bit is not an integer or out of range");
    bool grown;
    SmallString* s = string_for_bits(ctx, *offset, grown);
    if (!s) return;
    // Byte offset >> 3, and within the byte the most significant bit first: bit 0 is 0x80 of byte 0.
    // That order is Redis' and is visible to clients - GET of a bitmap set with SETBIT k 0 1 is
    // "\x80" - so a client that builds bitmaps locally and SETs them must use it too.
    auto* byte = reinterpret_cast<uint8_t*>(s->data()) + (*offset >> 3);
    uint8_t mask = static_cast<uint8_t>(1u << (7 - (*offset & 7)));
    bool old = (*byte & mask) != 0;
    // Only a real change (a new bit value, or a string that had to grow) counts as a modification:
    // setting a bit to the value it already has is not propagated and wakes no WATCH.
    if (grown || old != (*on == 1)) {
        *byte = static_cast<uint8_t>(*on ? *byte | mask : *byte & ~mask);
        ctx.modified(ctx.arg(1));
    }
    ctx.reply.integer(old ? 1 : 0);
}

// GETBIT: O(1). Bits past the end of the string, and of a missing key, read as 0. Bit 0 is the
// most significant bit of byte 0 (model/bitops.hpp), so bitmaps read left to right in a hex dump.
void cmd_getbit(CommandContext& ctx) {
    auto offset = bit_offset(ctx, 2);
    if (!offset) return;
    Value* v = ctx.lookup_read(ctx.arg(1));
    if (!v) return ctx.reply.integer(0);
    SmallString* s = ctx.as_string(v);
    if (!s) return;
    uint64_t byte = *offset >> 3;
    bool bit = byte < s->size() && (static_cast<uint8_t>(s->data()[byte]) >> (7 - (*offset & 7))) & 1;
    ctx.reply.integer(bit ? 1 : 0);
}

// BITCOUNT key [start end [BYTE|BIT]]: set bits in a byte range (default) or a bit range.
void cmd_bitcount(CommandContext& ctx) {
    Value* v = ctx.lookup_read(ctx.arg(1));
    if (!v) return ctx.reply.integer(0);  // Redis looks the key up before parsing the range
    SmallString* s = ctx.as_string(v);
    if (!s) return;
    std::string_view bytes = s->view();
    int64_t total = static_cast<int64_t>(bytes.size());
    if (ctx.argc() == 2) return ctx.reply.integer(static_cast<int64_t>(bits::popcount(bytes)));
    if (ctx.argc() != 4 && ctx.argc() != 5) return ctx.syntax_error();
    auto start = ctx.int_arg(2);
    if (!start) return;
    auto end = ctx.int_arg(3);
    if (!end) return;
    bool in_bits = false;
    if (ctx.argc() == 5) {
        if (equals_ignore_case(ctx.arg(4), "BIT"))
            in_bits = true;
        else if (!equals_ignore_case(ctx.arg(4), "BYTE"))
            return ctx.syntax_error();
    }
    if (in_bits) total *= 8;
    int64_t from = *start, to = *end;
    // Two negative ends given the wrong way round select nothing. The check comes before clamping
    // because clamping would turn "-1 -5" on a short string into "0 0" and count byte 0 - Redis'
    // bitcountCommand has exactly this early return for that reason.
    if (from < 0 && to < 0 && from > to) return ctx.reply.integer(0);
    clamp_range(from, to, total);
    if (from > to) return ctx.reply.integer(0);
    // The byte form counts with the popcount of whole bytes (model/bitops.cpp): the common case, and
    // the one that stays fast on a 100 MB bitmap.
    if (!in_bits) {
        auto part = bytes.substr(static_cast<size_t>(from), static_cast<size_t>(to - from + 1));
        return ctx.reply.integer(static_cast<int64_t>(bits::popcount(part)));
    }
    // A bit range: whole bytes in between, then subtract the edge bits outside the range.
    size_t first = static_cast<size_t>(from >> 3), last = static_cast<size_t>(to >> 3);
    auto count = static_cast<int64_t>(bits::popcount(bytes.substr(first, last - first + 1)));
    uint8_t outside_first = static_cast<uint8_t>(~(0xffu >> (from & 7)));
    uint8_t outside_last = static_cast<uint8_t>((1u << (7 - (to & 7))) - 1);
    count -= std::popcount(static_cast<uint8_t>(static_cast<uint8_t>(bytes[first]) & outside_first));
    count -= std::popcount(static_cast<uint8_t>(static_cast<uint8_t>(bytes[last]) & outside_last));
    ctx.reply.integer(count);
}

// BITPOS key 0|1 [start [end [BYTE|BIT]]]: the first bit set (or clear) in the range. A missing key
// is all zeros: first 0 at 0, no 1 (-1). Looking for a 0 in a string of ones without an explicit
// end answers the first bit *after* the string - it is conceptually followed by zeros.
void cmd_bitpos(CommandContext& ctx) {
    auto bit = ctx.int_arg(2);
    if (!bit) return;
    if (*bit != 0 && *bit != 1) return ctx.reply.error("ERR The bit argument must be 1 or 0.");
    Value* v = ctx.lookup_read(ctx.arg(1));
    // A missing key is an empty string, and an empty string is "all zeros forever": the first 0 is
    // at bit 0, and there is no 1.
    if (!v) return ctx.reply.integer(*bit ? -1 : 0);
    SmallString* s = ctx.as_string(v);
    if (!s) return;
    std::string_view bytes = s->view();
    int64_t total = static_cast<int64_t>(bytes.size());
    int64_t from = 0, to = total - 1;
    bool in_bits = false, end_given = false;
    if (ctx.argc() >= 4 && ctx.argc() <= 6) {
        auto start = ctx.int_arg(3);
        if (!start) return;
        from = *start;
        if (ctx.argc() == 6) {
            if (equals_ignore_case(ctx.arg(5), "BIT"))
                in_bits = true;
            else if (!equals_ignore_case(ctx.arg(5), "BYTE"))
                return ctx.syntax_error();
        }
        if (ctx.argc() >= 5) {
            auto end = ctx.int_arg(4);
            if (!end) return;
            to = *end;
            end_given = true;
        }
        if (in_bits) total *= 8;
        clamp_range(from, to, total);
    } else if (ctx.argc() != 3) {
        return ctx.syntax_error();
    }
    if (from > to) return ctx.reply.integer(-1);
    uint64_t first_bit = in_bits ? static_cast<uint64_t>(from) : static_cast<uint64_t>(from) * 8;
    uint64_t last_bit = in_bits ? static_cast<uint64_t>(to) : static_cast<uint64_t>(to) * 8 + 7;
    int64_t pos = bits::find_bit(bytes, first_bit, last_bit, *bit == 1);
    // No clear bit inside a string of 0xff bytes: without an explicit end, the answer is the first bit
    // past the string (Redis treats the string as padded with zeros on the right); with an end, the
    // caller asked about that range only, so -1.
    if (pos < 0 && *bit == 0 && !end_given) pos = static_cast<int64_t>((last_bit >> 3) + 1) * 8;
    ctx.reply.integer(pos);
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]: byte by byte over the longest input (shorter ones
// and missing keys read as zeros); replies the result's length. An empty result deletes destkey.
void cmd_bitop(CommandContext& ctx) {
    std::string_view op = ctx.arg(1);
    enum { AND, OR, XOR, NOT } kind;
    if (equals_ignore_case(op, "AND"))
        kind = AND;
    else if (equals_ignore_case(op, "OR"))
        kind = OR;
    else if (equals_ignore_case(op, "XOR"))
        kind = XOR;
    else if (equals_ignore_case(op, "NOT"))
        kind = NOT;
    else
        return ctx.syntax_error();
    // NOT is unary: with several sources it would have no obvious meaning, so Redis refuses it
    // rather than picking one.
    if (kind == NOT && ctx.argc() != 4)
        return ctx.reply.error("ERR BITOP NOT must be called with a single source key.");
    // All sources are type-checked before anything is written; the result is computed into a fresh
    // buffer, so the destination may also be one of the sources (BITOP AND a a b).
    std::vector<std::string_view> inputs;
    size_t longest = 0;
    for (size_t i = 3; i < ctx.argc(); ++i) {
        Value* v = ctx.lookup_read(ctx.arg(i));
        std::string_view bytes;
        if (v) {
            SmallString* s = ctx.as_string(v);
            if (!s) return;
            bytes = s->view();
        }
        inputs.push_back(bytes);
        longest = std::max(longest, bytes.size());
    }
    std::string_view dest = ctx.arg(2);
    if (longest == 0) {
        if (ctx.db().remove(dest)) ctx.modified(dest);
        return ctx.reply.integer(0);
    }
    // O(N) in the longest input. BITOP is how bitmaps combine: AND of seven daily bitmaps is "active
    // every day this week", OR is "active at least once".
    std::string result(longest, '\0');
    auto at = [](std::string_view b, size_t i) { return i < b.size() ? static_cast<uint8_t>(b[i]) : uint8_t{0}; };
    for (size_t i = 0; i < longest; ++i) {
        uint8_t out = at(inputs[0], i);
        if (kind == NOT) out = static_cast<uint8_t>(~out);
        for (size_t k = 1; k < inputs.size(); ++k) {
            uint8_t b = at(inputs[k], i);
            out = kind == AND ? out & b : kind == OR ? out | b : out ^ b;
        }
        result[i] = static_cast<char>(out);
    }
    ctx.db().set(dest, Value::of_string(result));
    ctx.modified(dest);
    ctx.reply.integer(static_cast<int64_t>(longest));
}

// BITFIELD_RO (6.0) is BITFIELD limited to GET. It exists for routing, not for speed: BITFIELD is
// flagged as a write in the command table (it *may* write), so a read-only replica refuses it and
// cluster clients send it to the primary; BITFIELD_RO is flagged read-only and may go anywhere.
void cmd_bitfield(CommandContext& ctx) { bitfield_generic(ctx, false); }
void cmd_bitfield_ro(CommandContext& ctx) { bitfield_generic(ctx, true); }

}  // namespace miniredis
