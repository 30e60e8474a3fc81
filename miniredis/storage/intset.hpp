// miniredis/storage/intset.hpp
//
// CONCEPT: the intset - Redis's compact form of a small set of integers: a sorted array of
// fixed-width numbers, all as wide as the widest one needs. SISMEMBER is a binary search; adding
// a wider number "upgrades" the whole array. An RDB file stores the array as it is.
//
//   encoding:u32le (2, 4 or 8 bytes per element)  length:u32le  element:le * length  (ascending)
//
// Redis keeps a set as an intset while it holds only integers and at most set-max-intset-entries
// (512) of them; miniredis writes that form for exactly those sets (model/encoding.hpp).
// READ NEXT: listpack.hpp, rdb_writer.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace miniredis {

// `values` sorted ascending and distinct.
std::string intset_encode(const std::vector<int64_t>& values);

// False when the blob is malformed: a width other than 2/4/8, a length that disagrees with the
// blob's size, or values out of order (an intset is sorted and has no duplicates).
bool intset_decode(std::string_view blob, std::vector<int64_t>& out);

}  // namespace miniredis
