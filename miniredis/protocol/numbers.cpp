// miniredis/protocol/numbers.cpp
//
// Number parsing and formatting with Redis' exact rules (util.c: string2ll, string2ld, d2string).
//
// CONCEPT: see numbers.hpp - here the mechanics. Every parser below refuses rather than guesses:
// a value that is not exactly an integer stays a string, and INCR on it answers "ERR value is not
// an integer or out of range" instead of silently changing the user's bytes.
// READ NEXT: reply.cpp (format_int64 and format_double on the way out).
#include "numbers.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace miniredis {

// Strict on purpose: "007", "+1", " 1" and "1.0" are not integers to INCR. Accepting them would
// make INCR silently rewrite the user's bytes ("007" -> "8").
std::optional<int64_t> parse_int64(std::string_view s) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    if (s == "0") return 0;
    bool negative = s.front() == '-';
    std::string_view digits = negative ? s.substr(1) : s;
    if (digits.empty() || digits.front() < '1' || digits.front() > '9') return std::nullopt;  // no "01", "-0", "+1"
    uint64_t v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        uint64_t digit = static_cast<uint64_t>(c - '0');
        if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
        v = v * 10 + digit;
    }
    if (negative) {
        if (v > static_cast<uint64_t>(INT64_MAX) + 1) return std::nullopt;
        return static_cast<int64_t>(0 - v);
    }
    if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(v);
}

std::optional<double> parse_double(std::string_view s) {
    char buf[256];
    if (s.empty() || s.size() >= sizeof buf || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    errno = 0;
    char* end;
    double value = std::strtod(buf, &end);
    if (end != buf + s.size() || std::isnan(value)) return std::nullopt;
    if (errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL || value == 0)) return std::nullopt;
    return value;
}

std::optional<long double> parse_long_double(std::string_view s) {
    char buf[kLongDoubleBufferSize];
    if (s.empty() || s.size() >= sizeof buf || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    errno = 0;
    char* end;
    long double value = std::strtold(buf, &end);
    if (end != buf + s.size() || std::isnan(value) || errno == EINVAL) return std::nullopt;
    if (errno == ERANGE && (value == HUGE_VALL || value == -HUGE_VALL || value == 0)) return std::nullopt;
    return value;
}

// "%.17g" prints enough digits to read back the exact same double - which is why Redis 7.0 shows
// ZSCORE of 1.1 as "1.1000000000000001" (1.1 has no exact binary representation).
std::string_view format_double(double value, char* buffer) {
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    int n = std::snprintf(buffer, 32, "%.17g", value);
    return {buffer, static_cast<size_t>(n)};
}

std::string_view format_long_double(long double value, char* buffer, size_t size) {
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    int n = std::snprintf(buffer, size, "%.17Lf", value);
    if (n < 0 || static_cast<size_t>(n) >= size) return "0";
    size_t length = static_cast<size_t>(n);
    if (std::memchr(buffer, '.', length)) {  // drop trailing zeros, then a bare '.'
        while (buffer[length - 1] == '0') --length;
        if (buffer[length - 1] == '.') --length;
    }
    if (length == 2 && buffer[0] == '-' && buffer[1] == '0') return "0";
    return {buffer, length};
}

}  // namespace miniredis
