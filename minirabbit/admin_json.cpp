// Replacing invalid UTF-8 in JSON responses (see admin_json.hpp).
#include "admin_json.hpp"

#include <boost/json/serialize.hpp>

#include <cstdint>

namespace minirabbit {

namespace json = boost::json;

namespace {

// How many bytes the well-formed sequence at `at` spans, or 0 with `bad` = how many bytes make
// up its "maximal subpart" (the longest prefix that could have started a valid sequence), which
// is what one U+FFFD replaces. The ranges are Unicode's table 3-7: no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
size_t sequence_length(std::string_view s, size_t at, size_t& bad) {
    auto byte = [&](size_t i) { return i < s.size() ? static_cast<uint8_t>(s[i]) : uint8_t{0}; };
    const uint8_t lead = byte(at);
    bad = 1;
    if (lead < 0x80) return 1;
    size_t length;
    uint8_t low = 0x80, high = 0xBF;  // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;   // overlong
        if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;   // overlong
        if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
        return 0;  // 0x80..0xC1, 0xF5..0xFF never start a sequence
    }
    for (size_t k = 1; k < length; ++k) {
        uint8_t b = byte(at + k);
        bool ok = at + k < s.size() && (k == 1 ? b >= low && b <= high : b >= 0x80 && b <= 0xBF);
        if (!ok) return 0;
        bad = k + 1;
    }
    return length;
}

void fix_strings(json::value& value) {
    if (value.is_string()) {
        json::string& text = value.get_string();
        if (!is_valid_utf8(text)) text = valid_utf8(text);
    } else if (value.is_array()) {
        for (auto& item : value.get_array()) fix_strings(item);
    } else if (value.is_object()) {
        json::object& object = value.get_object();
        bool bad_key = false;
        for (auto& [key, item] : object) {
            fix_strings(item);
            bad_key = bad_key || !is_valid_utf8(key);
        }
        if (!bad_key) return;
        json::object fixed;  // keys cannot be changed in place
        for (auto& [key, item] : object) fixed[valid_utf8(key)] = std::move(item);
        object = std::move(fixed);
    }
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    size_t bad = 0;
    for (size_t at = 0; at < text.size();) {
        size_t length = sequence_length(text, at, bad);
        if (length == 0) return false;
        at += length;
    }
    return true;
}

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t bad = 0;
    for (size_t at = 0; at < text.size();) {
        size_t length = sequence_length(text, at, bad);
        if (length != 0) {
            out.append(text.substr(at, length));
            at += length;
        } else {
            out.append("\xEF\xBF\xBD");  // U+FFFD
            at += bad;
        }
    }
    return out;
}

std::string serialize_as_valid_utf8(const json::value& value) {
    std::string text = json::serialize(value);
    if (is_valid_utf8(text)) return text;  // the usual case: no copy of the tree
    json::value copy = value;
    fix_strings(copy);
    return json::serialize(copy);
}

}  // namespace minirabbit
