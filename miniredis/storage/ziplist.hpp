// miniredis/storage/ziplist.hpp
//
// CONCEPT: the ziplist and the zipmap - what Redis used before the listpack (ziplist: Redis 2.6 -
// 6.2; zipmap: Redis 2.x hashes). An RDB file from those versions stores small lists, hashes and
// sorted sets as these blobs, and a user upgrading carries such files: the loader reads them and
// we never write them.
//
//   ziplist  zlbytes:u32le zltail:u32le zllen:u16le  entry ... FF
//            entry = prevlen (1 byte, or FE + u32le) | encoding | data
//            encoding  00LLLLLL  01LLLLLL LLLLLLLL(be)  10000000 len:u32be   strings
//                      C0 i16   D0 i32   E0 i64   F0 i24   FE i8   F1..FD = 0..12 in the byte
//   zipmap   zmlen:u8  (len key len value free:u8 value-bytes+free)*  FF
//            len = one byte < 254, or FE + u32le
//
// The ziplist's flaw - every entry records the size of the one before it, so one insert can
// cascade updates through the whole list - is why Redis 7 replaced it with the listpack, whose
// entries record their own size (listpack.hpp).
// READ NEXT: listpack.hpp, rdb_values.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace miniredis {

// Decodes the elements (integers as decimal text); false when the blob is malformed.
bool ziplist_decode(std::string_view blob, std::vector<std::string>& out);
// Decodes field, value, field, value, ...; false when malformed.
bool zipmap_decode(std::string_view blob, std::vector<std::string>& out);

}  // namespace miniredis
