// common/base64.cpp
//
// CONCEPT: binary bytes carried inside text protocols (HTTP headers, JSON) - see base64.hpp.
//
// Base64 encode/decode (RFC 4648): see base64.hpp.
//
//   "Man" = 0x4d 0x61 0x6e ──▶ 010011 010110 000101 101110 ──▶ "TWFu"
// READ NEXT: base64.hpp.
#include "base64.hpp"

#include <cstdint>

namespace mb {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (size_t i = 0; i < bytes.size(); i += 3) {
        // Up to three bytes into one 24-bit group; a short last group is padded with '='.
        uint32_t group = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
        if (i + 1 < bytes.size()) group |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
        if (i + 2 < bytes.size()) group |= static_cast<uint8_t>(bytes[i + 2]);
        out.push_back(kAlphabet[(group >> 18) & 63]);
        out.push_back(kAlphabet[(group >> 12) & 63]);
        out.push_back(i + 1 < bytes.size() ? kAlphabet[(group >> 6) & 63] : '=');
        out.push_back(i + 2 < bytes.size() ? kAlphabet[group & 63] : '=');
    }
    return out;
}

// Decoding is lenient where it is safe (whitespace is skipped, as line-wrapped base64 has it) and
// stops at the first character outside the alphabet - '=' padding or garbage - returning what was
// decoded so far; callers check the decoded length when it matters (a password hash must be 36
// bytes, see minirabbit/model/users.cpp).
std::string base64_decode(std::string_view text) {
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        size_t value = kAlphabet.find(c);
        if (value == std::string_view::npos) break;  // '=' padding, or not base64 at all
        buffer = buffer << 6 | static_cast<uint32_t>(value);
        bits += 6;
        if (bits >= 8) {  // a whole byte is ready
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    return out;
}

}  // namespace mb
