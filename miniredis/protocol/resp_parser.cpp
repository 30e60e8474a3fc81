// miniredis/protocol/resp_parser.cpp
//
// RequestParser: the multibulk state machine and the inline splitter (Redis' processMultibulkBuffer
// and processInlineBuffer), with the same limits and error texts.
//
// CONCEPT: framing - turning a byte stream into whole requests. TCP delivers bytes, not messages;
// every protocol in this course puts a length in front of what follows (RESP's "$5\r\n", AMQP's
// frame size, Kafka's 4-byte request size) so the reader knows when a request is complete. RESP
// spells its lengths in decimal text, which is why a human can type it; AMQP and Kafka use binary
// integers (common/big_endian.hpp).
//
//   "*3\r\n$3\r\nSET\r\n$5\r\nhel"          parse -> need_more (args_left_ = 2, bulk_len_ = 5)
//   ... "lo\r\n$5\r\nworld\r\n"             parse -> complete: [SET, hello, world]
//
// Why the exact Redis error texts? Clients and tests match on them ("Protocol error: invalid bulk
// length"), and the differential tests (tests/miniredis/) send the same bytes to redis-server and to
// us and compare the replies byte for byte.
// READ NEXT: reply.cpp, commands/dispatch.cpp (the loop that calls parse), docs/miniredis/01-follow-a-set.md §2.
#include "resp_parser.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "protocol/numbers.hpp"

namespace miniredis::resp {

void RequestParser::reset() {
    pos_ = 0;
    args_left_ = -1;
    bulk_len_ = -1;
    wanted_ = 0;
    spans_.clear();
    args_.clear();
}

RequestParser::Status RequestParser::fail(std::string_view message) {
    error_.assign("Protocol error: ").append(message);
    return Status::error;
}

// A request starting with '*' is RESP; anything else is an inline command (telnet, or redis-cli
// in its simplest mode). The choice is made on the first byte of each request, as Redis does.
RequestParser::Status RequestParser::parse(std::string_view input) {
    if (args_left_ < 0 && pos_ == 0) {
        if (input.empty()) return Status::need_more;
        if (input.front() != '*') return parse_inline(input);
    }
    return parse_multibulk(input);
}

namespace {

// The "*N" and "$N" headers carry one to three digits nearly always, four per request or more, so
// plain digits take a short loop here; anything else (a sign, a leading zero, ten digits or more)
// goes to parse_int64, whose strict rules then decide - the answers are the same either way.
inline std::optional<int64_t> parse_header_length(std::string_view s) {
    if (s.empty() || s.size() > 9 || s[0] == '0') return parse_int64(s);
    int64_t v = 0;
    for (char c : s) {
        auto digit = static_cast<unsigned>(static_cast<unsigned char>(c)) - '0';
        if (digit > 9) return parse_int64(s);
        v = v * 10 + digit;
    }
    return v;
}

}  // namespace

// The multibulk state machine. State kept between calls: args_left_ (-1 until the "*N" line is
// read), bulk_len_ (-1 until the next "$N" line is read), pos_ (how far we got) and the offsets of
// the arguments already complete. Each call resumes at pos_, so a 100 MB value arriving in 16 KB
// reads is looked at once per read, not rescanned from the start each time.
RequestParser::Status RequestParser::parse_multibulk(std::string_view input) {
    wanted_ = 0;
    if (args_left_ < 0) {
        // "*<count>\r\n"
        const void* cr = std::memchr(input.data(), '\r', input.size());
        if (!cr) return input.size() > kMaxInlineSize ? fail("too big mbulk count string") : Status::need_more;
        size_t line_end = static_cast<size_t>(static_cast<const char*>(cr) - input.data());
        if (line_end + 2 > input.size()) return Status::need_more;  // the '\n' has not arrived
        auto count = parse_header_length(input.substr(1, line_end - 1));
        if (!count || *count > kMaxMultibulkLength) return fail("invalid multibulk length");
        if (*count > 10 && unauthenticated_) return fail("unauthenticated multibulk length");
        pos_ = line_end + 2;
        if (*count <= 0) {  // "*0" or "*-1": an empty command, skipped without a reply
            args_.clear();
            return Status::complete;
        }
        args_left_ = *count;
    }
    while (args_left_ > 0) {
        if (bulk_len_ < 0) {
            // "$<length>\r\n"
            std::string_view rest = input.substr(pos_);
            const void* cr = std::memchr(rest.data(), '\r', rest.size());
            if (!cr) return rest.size() > kMaxInlineSize ? fail("too big bulk count string") : Status::need_more;
            size_t line_end = static_cast<size_t>(static_cast<const char*>(cr) - rest.data());
            if (line_end + 2 > rest.size()) return Status::need_more;
            if (rest.front() != '$') return fail(std::string("expected '$', got '") + rest.front() + "'");
            auto length = parse_header_length(rest.substr(1, line_end - 1));
            if (!length || *length < 0 || *length > max_bulk_len_) return fail("invalid bulk length");
            if (*length > 16384 && unauthenticated_) return fail("unauthenticated bulk length");
            bulk_len_ = *length;
            pos_ += line_end + 2;
        }
        // The bytes and their trailing "\r\n" (not checked, as Redis doesn't). If they are not all
        // here yet, say how many are missing: the session then reads that much at once.
        size_t need = static_cast<size_t>(bulk_len_) + 2;
        if (input.size() - pos_ < need) {
            wanted_ = need - (input.size() - pos_);
            return Status::need_more;
        }
        spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
        pos_ += need;
        bulk_len_ = -1;
        --args_left_;
    }
    // Complete: turn offsets into views of *this* input (the buffer may have moved since the first
    // call). They stay valid until the caller consumes the bytes.
    args_.clear();
    for (auto [offset, length] : spans_) args_.emplace_back(input.data() + offset, length);
    return Status::complete;
}

// An inline request is one line, split on spaces with quotes honoured (see split_inline_args). No
// resuming needed: until the '\n' arrives there is nothing to do but wait (up to 64 KB).
RequestParser::Status RequestParser::parse_inline(std::string_view input) {
    const void* nl = std::memchr(input.data(), '\n', input.size());
    if (!nl) return input.size() > kMaxInlineSize ? fail("too big inline request") : Status::need_more;
    size_t line_end = static_cast<size_t>(static_cast<const char*>(nl) - input.data());
    std::string_view line = input.substr(0, line_end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    inline_storage_.clear();
    spans_.clear();
    if (!split_inline_args(line, inline_storage_, spans_)) return fail("unbalanced quotes in request");
    pos_ = line_end + 1;
    args_.clear();
    for (auto [offset, length] : spans_) args_.emplace_back(inline_storage_.data() + offset, length);
    return Status::complete;
}

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'; }

}  // namespace

bool split_inline_args(std::string_view line, std::string& storage, std::vector<std::pair<size_t, size_t>>& spans) {
    size_t i = 0;
    for (;;) {
        while (i < line.size() && is_space(line[i])) ++i;
        if (i == line.size()) return true;
        size_t start = storage.size();
        bool in_double = false, in_single = false;
        for (;;) {
            if (in_double) {
                if (i == line.size()) return false;  // unterminated quotes
                char c = line[i];
                if (c == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && hex_digit(line[i + 2]) >= 0 &&
                    hex_digit(line[i + 3]) >= 0) {
                    storage.push_back(static_cast<char>(hex_digit(line[i + 2]) * 16 + hex_digit(line[i + 3])));
                    i += 3;
                } else if (c == '\\' && i + 1 < line.size()) {
                    ++i;
                    switch (line[i]) {
                        case 'n':
                            storage.push_back('\n');
                            break;
                        case 'r':
                            storage.push_back('\r');
                            break;
                        case 't':
                            storage.push_back('\t');
                            break;
                        case 'b':
                            storage.push_back('\b');
                            break;
                        case 'a':
                            storage.push_back('\a');
                            break;
                        default:
                            storage.push_back(line[i]);
                            break;
                    }
                } else if (c == '"') {
                    // A closing quote must be followed by a space or the end of the line.
                    if (i + 1 < line.size() && !is_space(line[i + 1])) return false;
                    in_double = false;
                    ++i;
                    break;
                } else {
                    storage.push_back(c);
                }
            } else if (in_single) {
                if (i == line.size()) return false;
                char c = line[i];
                if (c == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
                    storage.push_back('\'');
                    ++i;
                } else if (c == '\'') {
                    if (i + 1 < line.size() && !is_space(line[i + 1])) return false;
                    in_single = false;
                    ++i;
                    break;
                } else {
                    storage.push_back(c);
                }
            } else {
                if (i == line.size()) break;
                char c = line[i];
                if (is_space(c)) break;
                if (c == '"') {
                    in_double = true;
                } else if (c == '\'') {
                    in_single = true;
                } else {
                    storage.push_back(c);
                }
            }
            ++i;
        }
        spans.emplace_back(start, storage.size() - start);
    }
}

}  // namespace miniredis::resp

namespace miniredis {

bool equals_ignore_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace miniredis
