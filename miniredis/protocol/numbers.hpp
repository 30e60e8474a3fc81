// miniredis/protocol/numbers.hpp
//
// Numbers as Redis spells them. Redis stores counters as strings ("INCR counter" reads the string,
// adds, writes the string back), so these conversions define what "is an integer" means:
//   parse_int64   strict: optional '-', no '+', no spaces, no leading zeros ("007" is not a number)
//   parse_double  strtod rules, but no surrounding spaces and no NaN ("inf" and "-inf" are fine)
//   format_double RESP2's text for a score: "%.17g", integers printed without a dot
//   format_long_double  INCRBYFLOAT's human form: 17 decimals, trailing zeros dropped ("10.5")
//
// CONCEPT: numbers are protocol value types, the ground floor. They sit in protocol/ because both
// the parser (a bulk length, an array count) and the model (a counter, a score) need them, and the
// layer rule (docs/architecture.md) lets every folder include protocol/ but never the other way.
// "17g" is not taste: it is the shortest text that reads back as the same double, so a score
// written to the AOF or sent to a replica is bit-for-bit the score the master holds.
// READ NEXT: numbers.cpp, commands/strings.cpp (INCR, INCRBYFLOAT).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace miniredis {

std::optional<int64_t> parse_int64(std::string_view text);
std::optional<double> parse_double(std::string_view text);
std::optional<long double> parse_long_double(std::string_view text);

// Writes into `buffer` (at least 32 bytes for doubles, 5200 for long doubles) and returns the text.
std::string_view format_double(double value, char* buffer);
std::string_view format_long_double(long double value, char* buffer, size_t size);
inline constexpr size_t kLongDoubleBufferSize = 5200;  // "%.17Lf" of the largest long double fits

inline std::string_view format_int64(int64_t value, char (&buffer)[24]) {
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return {buffer, static_cast<size_t>(end - buffer)};
}

}  // namespace miniredis
