// miniredis/model/glob.hpp
//
// Glob-style pattern matching, as KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET use it:
//   *  any run of bytes      ?  one byte      [abc] [a-z] [^x]  a byte class      \x  a literal x
// Binary safe. Backtracking is bounded (Redis 7 caps the nesting for the same reason): a pattern
// like "a*a*a*a*b" against a long string cannot hang the server.
//
// CONCEPT: one matcher for four commands, so "h?llo" means the same in KEYS, SCAN MATCH, PSUBSCRIBE
// and CONFIG GET - as in Redis, where all four call stringmatchlen.
// READ NEXT: glob.cpp.
#pragma once

#include <string_view>

namespace miniredis {

bool glob_match(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace miniredis
