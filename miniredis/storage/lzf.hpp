// miniredis/storage/lzf.hpp
//
// CONCEPT: LZF, the small and fast LZ77 compressor Redis applies to long strings in an RDB file.
//
// LZ77 replaces a repeat with a pointer back to where the same bytes were already written. LZF's
// output is a sequence of two kinds of runs, told apart by the top three bits of a control byte:
//
//   000LLLLL  L+1 literal bytes follow                      (1..32 bytes copied as they are)
//   LLLooooo oooooooo        back-reference, L in 1..6      copy L+2 bytes from `offset+1` back
//   111ooooo nnnnnnnn oooooooo   back-reference, long       copy n+9 bytes (9..264)
//
// "offset" is 13 bits (the high five in the control byte): a window of 8 KB. A reference may
// overlap what it produces (offset 0, length 10 = one byte repeated ten times), so decoding copies
// byte by byte. The compressor finds candidates with a small hash table of the last position of
// every 3-byte sequence: greedy, one probe, no search - fast, and good enough for text.
//
// In RDB: "C3 <compressed length> <original length> <bytes>" (rdb_format.hpp), used only when it
// saves space - Redis tries it for strings longer than 20 bytes.
// READ NEXT: rdb_writer.cpp (put_string), rdb_reader.hpp (Reader::string).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace miniredis {

// The LZF form of `in`, or nullopt when it would not be shorter than `in` minus 4 bytes
// (then the string is stored as it is - compression must pay for its two extra lengths).
std::optional<std::string> lzf_compress(std::string_view in);

// Decompresses `in` into exactly `out_len` bytes; nullopt when the data is malformed (a reference
// before the start, a run past either end, or a different length) - never reads or writes outside.
std::optional<std::string> lzf_decompress(std::string_view in, size_t out_len);

}  // namespace miniredis
