// miniredis/storage/rdb_reader.hpp
//
// CONCEPT: a cursor that cannot read past the end. Every byte of an RDB file is read through
// Reader, and every read first checks that the bytes are there - the one discipline that makes a
// loader safe on a file from a failing disk or a hostile program. On the first problem it throws
// Corrupt (where, and what); the file walk in rdb_loader.cpp catches it once, drops everything it
// loaded, and reports the byte. Redis's rdbLoad does the same with a goto to its `eoferr` label.
//
//   bytes:  R E D I S 0 0 1 1 | FA ...aux... | FE 00 | 00 03 k e y 05 h e l l o | ... | FF crc
//   Reader: u8, le/be, length (the 2-bit marker), string (int / LZF / raw), blob (listpack ...)
//
// The primitives (length markers, string encodings) are laid out in rdb_format.hpp.
// READ NEXT: rdb_values.cpp (the value types on top of it), rdb_loader.cpp (the file walk).
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/lzf.hpp"
#include "storage/rdb_format.hpp"

namespace miniredis::rdb {

// Thrown at the first problem: where, and what. Caught in load_rdb (and in rdb_aux_fields, which
// keeps the fields read before the damage).
struct Corrupt {
    size_t at;
    std::string what;
};

// Thrown instead of "truncated" while the file is still arriving (RdbStreamLoader): the record
// is not all here yet - parse it again from its start when more bytes came.
struct Truncated {};

// A cursor over the file: every read checks that the bytes are there first. Errors are thrown
// (Corrupt) rather than returned: the loader is a deep descent - file, key, value, node, entry -
// and a flag checked after every read would double its code. The catch is in rdb_loader.cpp.
//
// Streaming (a replica loading the RDB as it arrives): `bytes` is what came so far, from file
// offset `base` on; running out of bytes throws Truncated instead of failing, and offsets in
// errors are the file's.
class Reader {
public:
    Reader(std::string_view bytes, size_t pos, bool streaming = false, size_t base = 0)
        : bytes_(bytes), pos_(pos), streaming_(streaming), base_(base) {}
    size_t pos() const { return pos_; }
    size_t base() const { return base_; }
    std::string_view bytes() const { return bytes_; }

    [[noreturn]] void fail(std::string what, size_t at) const { throw Corrupt{base_ + at, std::move(what)}; }
    [[noreturn]] void fail(std::string what) const { fail(std::move(what), pos_); }

    void need(uint64_t n) const {
        if (n <= bytes_.size() - pos_) return;
        if (streaming_) throw Truncated{};
        fail("truncated: the file ends inside a record");
    }
    uint8_t u8() {
        need(1);
        return static_cast<uint8_t>(bytes_[pos_++]);
    }
    std::string_view raw(uint64_t n) {
        need(n);
        std::string_view s = bytes_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    uint64_t le(int n) {
        std::string_view b = raw(static_cast<uint64_t>(n));
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(b[i])} << (8 * i);
        return v;
    }
    uint64_t be(int n) {
        std::string_view b = raw(static_cast<uint64_t>(n));
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
        return v;
    }

    // A length; with `special`, a string's "11xxxxxx" encoding marker is allowed and reported.
    uint64_t length(bool* special = nullptr) {
        size_t at = pos_;
        uint8_t b = u8();
        switch (b >> 6) {
            case kLen6:
                return b & 0x3f;
            case kLen14:
                return (uint64_t{b & 0x3fu} << 8) | u8();
            case kEncVal:
                if (!special) fail("an encoded value where a length was expected", at);
                *special = true;
                return b & 0x3f;
            default:
                if (b == kLen32) return be(4);
                if (b == kLen64) return be(8);
                fail(fmt::format("bad length marker 0x{:02x}", b), at);
        }
    }
    // A count of elements: each takes at least one byte, so it cannot exceed the bytes left -
    // this stops a damaged count from reserving gigabytes.
    uint64_t count() {
        size_t at = pos_;
        uint64_t n = length();
        if (n > bytes_.size() - pos_) {
            if (streaming_) throw Truncated{};  // maybe they are on their way
            fail(fmt::format("a count of {} is more than the file holds", n), at);
        }
        return n;
    }

    // A string in any of its forms: plain bytes, an integer kept as 1/2/4 bytes (turned back into
    // its decimal text - the string it was), or LZF-compressed bytes.
    std::string string() {
        size_t at = pos_;
        bool special = false;
        uint64_t n = length(&special);
        if (!special) return std::string(raw(n));
        switch (n) {
            case kEncInt8:
                return std::to_string(static_cast<int8_t>(u8()));
            case kEncInt16:
                return std::to_string(static_cast<int16_t>(le(2)));
            case kEncInt32:
                return std::to_string(static_cast<int32_t>(le(4)));
            case kEncLzf: {
                uint64_t packed = length(), original = length();
                // LZF expands at most ~100x (a 3-byte reference yields up to 264 bytes).
                if (original > packed * 100 + 64) fail("an LZF string claims an impossible length", at);
                auto out = lzf_decompress(raw(packed), original);
                if (!out) fail("LZF data does not decompress", at);
                return std::move(*out);
            }
            default:
                fail(fmt::format("unknown string encoding {}", n), at);
        }
    }

    // A packed blob (listpack, ziplist, intset, zipmap) decoded into its elements.
    using Decoder = bool (*)(std::string_view, std::vector<std::string>&);
    std::vector<std::string> blob(Decoder decode, const char* what, size_t multiple = 1) {
        size_t at = pos_;
        std::string b = string();
        std::vector<std::string> out;
        if (!decode(b, out) || out.size() % multiple != 0) fail(fmt::format("a malformed {}", what), at);
        return out;
    }

private:
    std::string_view bytes_;
    size_t pos_;
    bool streaming_;
    size_t base_;
};

}  // namespace miniredis::rdb
