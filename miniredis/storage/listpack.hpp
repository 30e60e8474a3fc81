// miniredis/storage/listpack.hpp
//
// CONCEPT: the listpack - Redis's compact form of a small container: every element packed into one
// allocation, no pointers. Redis 7 keeps small hashes, sorted sets and list nodes in memory this
// way, and the RDB file stores the blob as it is - which is why we must speak it.
//
//   total-bytes:u32le  count:u16le  entry entry ... entry  FF
//   entry = encoding+data, then backlen (the size of encoding+data, readable right to left)
//
//   encoding                          meaning
//   0xxxxxxx                          an integer 0..127 in the byte itself
//   10LLLLLL + L bytes                a string of up to 63 bytes
//   110xxxxx xxxxxxxx                 a 13-bit signed integer (big-endian, two's complement)
//   1110LLLL LLLLLLLL + L bytes       a string of up to 4095 bytes
//   11110000 len:u32le + bytes        a longer string
//   F1 i16le | F2 i24le | F3 i32le | F4 i64le    wider integers
//
// An element that is a number in canonical form ("42", not "042") is stored as an integer in the
// smallest encoding; everything else as a string. backlen is what makes the listpack walkable
// backwards (LRANGE -1): 7 bits per byte, the high bit saying "one more byte to the left".
// `count` saturates at 65535 ("unknown, walk to count").
//
// The decoder checks every length against the blob before it touches a byte - a listpack comes
// from a file that may be damaged - and rejects a blob whose sizes or backlens do not agree.
// READ NEXT: intset.hpp (the small form of a set of integers), rdb_writer.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace miniredis {

// Builds a listpack one element at a time.
class ListpackWriter {
public:
    ListpackWriter();
    void append(std::string_view element);  // canonical integers are stored as integers
    void append_int(int64_t value);
    size_t size() const { return count_; }
    size_t bytes() const { return blob_.size() + 1; }  // + the end byte
    // The finished blob (header filled in); the writer is empty again afterwards.
    std::string finish();

private:
    std::string blob_;
    size_t count_ = 0;
};

// Decodes a whole listpack into its elements (integers as decimal text). False when the blob is
// malformed: a size field that disagrees with the blob, a run past its end, a wrong backlen.
bool listpack_decode(std::string_view blob, std::vector<std::string>& out);

}  // namespace miniredis
