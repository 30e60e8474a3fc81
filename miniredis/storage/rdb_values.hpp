// miniredis/storage/rdb_values.hpp
//
// CONCEPT: one typed value from its type byte. RDB writes each key as `type key value`; the type
// byte names not just the data type but its encoding, and an RDB loader must read every encoding
// any Redis version ever wrote (19 of them across RDB 1 - 11), while the writer emits only the
// current ones. This is the single entry point from the file walk into those decoders.
//
// READ NEXT: rdb_values.cpp, rdb_loader.cpp (its one caller).
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/value.hpp"
#include "storage/rdb_reader.hpp"

namespace miniredis::rdb {

// Reads the value of type `type` (the byte at `type_at`) at the reader's position. Throws Corrupt
// on damage, on module types and on types newer than RDB 11.
Value read_value(Reader& in, uint8_t type, size_t type_at);

}  // namespace miniredis::rdb
