// miniredis/protocol/reply.cpp
//
// Reply encoding. Integers go through std::to_chars into a stack buffer: no allocation, no locale.
//
// CONCEPT: serialisation of replies, the way back of the request path. Every function appends to
// the client's output buffer; none of them sends. The RESP2/RESP3 differences are decided here, so
// a handler says "a map of two entries" once and both protocol versions come out right:
//
//   r.map(1); r.bulk("a"); r.integer(1);
//      RESP3: "%1\r\n$1\r\na\r\n:1\r\n"        RESP2: "*2\r\n$1\r\na\r\n:1\r\n"
//
// Why sanitise errors (below)? An error is a single line; a client-supplied key echoed into an
// error with a "\r\n" in it would end the error early and the client would read the rest as the
// next reply - every later reply on that connection would then answer the wrong command.
// READ NEXT: resp_parser.cpp, commands/context.hpp (how handlers reach a Reply).
#include "reply.hpp"

#include <charconv>
#include <cstring>

#include "protocol/numbers.hpp"

namespace miniredis {

void Reply::simple(std::string_view text) {
    out_->push_back('+');
    out_->append(text);
    out_->append("\r\n");
}

void Reply::error(std::string_view message) {
    out_->push_back('-');
    size_t start = out_->size();
    out_->append(message);
    // An error is one line: a \r or \n inside it would end it early and desync the client.
    char* bytes = out_->mutable_data() + start;
    for (size_t i = 0; i < message.size(); ++i)
        if (bytes[i] == '\r' || bytes[i] == '\n') bytes[i] = ' ';
    out_->append("\r\n");
}

void Reply::header(char type, uint64_t count) {
    char buf[24];
    buf[0] = type;
    auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf - 2, count);
    end[0] = '\r';
    end[1] = '\n';
    out_->append(buf, static_cast<size_t>(end + 2 - buf));
}

void Reply::integer(int64_t value) {
    char buf[24];
    buf[0] = ':';
    auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf - 2, value);
    end[0] = '\r';
    end[1] = '\n';
    out_->append(buf, static_cast<size_t>(end + 2 - buf));
}

void Reply::bulk(std::string_view bytes) {
    header('$', bytes.size());
    out_->append(bytes);
    out_->append("\r\n");
}

void Reply::null() { out_->append(resp3_ ? std::string_view("_\r\n") : std::string_view("$-1\r\n")); }
void Reply::null_array() { out_->append(resp3_ ? std::string_view("_\r\n") : std::string_view("*-1\r\n")); }
void Reply::array(size_t count) { header('*', count); }
void Reply::map(size_t pairs) { header(resp3_ ? '%' : '*', resp3_ ? pairs : pairs * 2); }
void Reply::set(size_t count) { header(resp3_ ? '~' : '*', count); }
void Reply::push(size_t count) { header(resp3_ ? '>' : '*', count); }

void Reply::double_value(double value) {
    char buf[32];
    std::string_view text = format_double(value, buf);
    if (!resp3_) return bulk(text);
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n");
}

void Reply::boolean(bool value) {
    if (resp3_)
        out_->append(value ? "#t\r\n" : "#f\r\n");
    else
        integer(value ? 1 : 0);
}

void Reply::verbatim(std::string_view text) {
    if (!resp3_) return bulk(text);
    header('=', text.size() + 4);
    out_->append("txt:");
    out_->append(text);
    out_->append("\r\n");
}

// Used when the element count is known only after emitting them (KEYS with a pattern). Redis
// keeps a placeholder node in its reply list; with one contiguous buffer we shift the elements by
// the few header bytes instead.
void Reply::header_at(size_t mark, char type, uint64_t count) {
    // Append the header at the end, then rotate it into place in front of the elements.
    size_t before = out_->size();
    header(type, count);
    size_t header_size = out_->size() - before;
    char* base = out_->mutable_data();
    char tmp[24];
    std::memcpy(tmp, base + before, header_size);
    std::memmove(base + mark + header_size, base + mark, before - mark);
    std::memcpy(base + mark, tmp, header_size);
}

}  // namespace miniredis
