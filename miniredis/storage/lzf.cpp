// miniredis/storage/lzf.cpp
//
// LZF compression and decompression (the format is drawn in lzf.hpp).
//
// CONCEPT: see lzf.hpp. RDB compresses long strings with LZF: fast, small code, modest ratio - the
// right trade for a snapshot written under load. We must decompress it to read Redis' files; we
// compress when it saves bytes, as Redis does.
// READ NEXT: rdb_writer.cpp.
#include "storage/lzf.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace miniredis {
namespace {

constexpr size_t kMaxLiteral = 32;      // one control byte covers 1..32 literals
constexpr size_t kMaxOffset = 1 << 13;  // 13 bits of offset (stored minus one)
constexpr size_t kMaxMatch = 264;       // 7 + 255 + 2
constexpr int kHashBits = 14;

// The compressor's only index: three bytes hashed to a table slot that remembers where they were
// last seen. A collision just means a missed match - the output stays correct, only a little larger.
uint32_t hash3(const uint8_t* p) {
    uint32_t v = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
    return (v * 2654435761u) >> (32 - kHashBits);  // Knuth's multiplicative hash: top bits
}

}  // namespace

// The compressor walks the input once. At each position it asks the hash table "where did these
// three bytes last occur?"; if that was within the 8 KB window and the bytes really match (two
// different triples can share a hash slot), it extends the match as far as it goes and emits a
// back-reference; otherwise the byte joins the pending literal run. Greedy and single-probe: it
// never looks for a *longer* match elsewhere - that is the speed-for-ratio trade LZF makes (gzip
// keeps chains of candidates and searches them).
std::optional<std::string> lzf_compress(std::string_view text) {
    const auto* in = reinterpret_cast<const uint8_t*>(text.data());
    const size_t n = text.size();
    if (n <= 4) return std::nullopt;
    const size_t limit = n - 4;  // give up as soon as the output is not shorter than this
    std::string out;
    out.reserve(limit);
    // Last position (+1, so 0 means "none") at which each 3-byte hash was seen.
    std::vector<uint32_t> last(size_t{1} << kHashBits, 0);

    // Literals are not written one by one: they wait until a match (or the end) and then go out
    // in runs of up to 32 behind one control byte each.
    size_t literal_start = 0;  // pending literals are in[literal_start, i)
    auto flush_literals = [&](size_t end) {
        while (literal_start < end) {
            size_t run = std::min(kMaxLiteral, end - literal_start);
            out.push_back(static_cast<char>(run - 1));
            out.append(text.substr(literal_start, run));
            literal_start += run;
        }
    };
    size_t i = 0;
    while (i + 2 < n) {
        uint32_t h = hash3(in + i);
        size_t candidate = last[h];
        last[h] = static_cast<uint32_t>(i + 1);
        if (candidate != 0) {
            size_t ref = candidate - 1;
            size_t offset = i - ref - 1;
            if (offset < kMaxOffset && std::memcmp(in + ref, in + i, 3) == 0) {
                size_t len = 3;
                while (len < kMaxMatch && i + len < n && in[ref + len] == in[i + len]) ++len;
                flush_literals(i);
                // The control byte holds the length (3 bits) and the offset's high 5 bits; a
                // length of 7 or more spills into an extra byte. The offset's low 8 bits follow.
                size_t l = len - 2;  // 1..262 stored as 3 bits (+ one byte when it is 7 or more)
                if (l < 7) {
                    out.push_back(static_cast<char>((l << 5) | (offset >> 8)));
                } else {
                    out.push_back(static_cast<char>((7 << 5) | (offset >> 8)));
                    out.push_back(static_cast<char>(l - 7));
                }
                out.push_back(static_cast<char>(offset & 0xff));
                // Remember the positions inside the match too: later repeats may point at them.
                for (size_t k = i + 1; k < i + len && k + 2 < n; ++k)
                    last[hash3(in + k)] = static_cast<uint32_t>(k + 1);
                i += len;
                literal_start = i;
                if (out.size() >= limit) return std::nullopt;
                continue;
            }
        }
        ++i;
        // Not worth it any more? Stop early rather than compress the rest for nothing.
        if (out.size() + (i - literal_start) >= limit) return std::nullopt;
    }
    flush_literals(n);
    // nullopt = "store it raw": the RDB writer then writes the plain string, so compression can
    // only ever make a snapshot smaller, never larger.
    if (out.size() >= limit) return std::nullopt;
    return out;
}

// Decompression is the easy direction: read a control byte, then either copy literals or copy
// from what was already produced. Every run is checked against both the input left and the output
// promised (out_len, which the RDB file states up front), so damaged data cannot make it read or
// write outside its buffers - it just fails.
// Decompression is a tiny interpreter of two instructions: "copy the next 1..32 bytes" (ctrl < 32)
// and "copy len bytes from `back` bytes ago" (a back-reference into what was already produced).
// The RDB stores the uncompressed length, so the output can be bounded before a byte is written:
// every run and every reference is checked against both the input left and the space promised,
// and a file that lies about either is refused, never allowed to write past the buffer.
// A back-reference may overlap its own output ("abcabcabc..." is one reference of distance 3), so
// it is copied byte by byte, not with memcpy.
std::optional<std::string> lzf_decompress(std::string_view in, size_t out_len) {
    std::string out;
    out.reserve(out_len);
    size_t ip = 0;
    while (ip < in.size()) {
        size_t ctrl = static_cast<uint8_t>(in[ip++]);
        if (ctrl < 32) {  // literal run
            size_t run = ctrl + 1;
            if (run > in.size() - ip || run > out_len - out.size()) return std::nullopt;
            out.append(in.substr(ip, run));
            ip += run;
            continue;
        }
        size_t len = ctrl >> 5;
        if (len == 7) {
            if (ip >= in.size()) return std::nullopt;
            len += static_cast<uint8_t>(in[ip++]);
        }
        len += 2;
        if (ip >= in.size()) return std::nullopt;
        size_t back = ((ctrl & 0x1f) << 8) + static_cast<uint8_t>(in[ip++]) + 1;
        if (back > out.size() || len > out_len - out.size()) return std::nullopt;
        size_t from = out.size() - back;
        for (size_t k = 0; k < len; ++k) out.push_back(out[from + k]);  // may overlap: byte by byte
    }
    if (out.size() != out_len) return std::nullopt;
    return out;
}

}  // namespace miniredis
