// miniredis/protocol/reply.hpp
//
// Reply: replies -> RESP bytes, appended to a connection's output buffer (Redis' addReply*).
//
// CONCEPT: every reply starts with a type byte and ends with \r\n:
//   +OK               simple string       -ERR message      error
//   :42               integer             $5\r\nhello       bulk string ($-1 = null)
//   *2 ...            array of N replies (*-1 = null array)
// RESP3 (after HELLO 3) adds types the client can map to its language without guessing:
//   %2 map   ~3 set   ,1.5 double   _ null   #t boolean   >3 push (pub/sub)   =15 verbatim text
// The same handler code serves both: map() writes "%N" for RESP3 and "*2N" (a flat array of
// key, value, key, value) for RESP2 - the choice lives here, once, not in every command.
//
// Handlers never touch the socket: they append here, and the session sends the whole output
// buffer in one write after the batch of commands (see server.cpp).
//
// Why one buffer per client and not one write per reply? A pipelined client (redis-benchmark -P 16)
// sends 16 commands in one packet; appending 16 replies and sending them with one send() costs one
// system call instead of 16. It is also what makes "durable before reply" cheap: replies wait in
// the buffer until the AOF write of the whole turn is done (core/durability.cpp).
//
//   handler ──▶ Reply::bulk("hello") ──▶ "$5\r\nhello\r\n" appended to client.out
//   end of turn: AOF write (+fsync) ──▶ send(client.out)
//
// READ NEXT: reply.cpp, core/client.hpp (the output buffer and its limits),
//            docs/miniredis/01-follow-a-set.md §6.
#pragma once

#include <cstdint>
#include <string_view>

#include "byte_buffer.hpp"

namespace miniredis {

class Reply {
public:
    Reply(mb::ByteBuffer& out, int protocol) : out_(&out), resp3_(protocol >= 3) {}

    bool resp3() const { return resp3_; }
    mb::ByteBuffer& buffer() { return *out_; }

    void simple(std::string_view text);  // +text
    void ok() { out_->append("+OK\r\n"); }
    // `message` includes its code ("ERR ...", "WRONGTYPE ..."); \r and \n become spaces.
    void error(std::string_view message);
    void integer(int64_t value);
    void bulk(std::string_view bytes);
    void null();        // RESP2 $-1 / RESP3 _
    void null_array();  // RESP2 *-1 / RESP3 _
    void array(size_t count);
    void map(size_t pairs);
    void set(size_t count);
    void push(size_t count);  // RESP3 > (RESP2: a plain array)
    void double_value(double value);
    void boolean(bool value);  // RESP2 :1/:0
    void verbatim(std::string_view text);

    // For replies whose length is only known at the end (SCAN with MATCH, ZRANGE with LIMIT):
    // mark() before the elements, then array_at(mark, count) inserts the header there.
    size_t mark() const { return out_->size(); }
    void array_at(size_t mark, size_t count) { header_at(mark, '*', count); }
    void map_at(size_t mark, size_t pairs) { header_at(mark, resp3_ ? '%' : '*', resp3_ ? pairs : pairs * 2); }
    void set_at(size_t mark, size_t count) { header_at(mark, resp3_ ? '~' : '*', count); }

private:
    void header(char type, uint64_t count);
    void header_at(size_t mark, char type, uint64_t count);

    mb::ByteBuffer* out_;
    bool resp3_;
};

// Redis' standard error texts, so every command spells them the same way.
namespace errors {
inline constexpr std::string_view kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kIndexOutOfRange = "ERR index out of range";
inline constexpr std::string_view kOutOfRange = "ERR value is out of range, must be positive";
inline constexpr std::string_view kDbIndex = "ERR DB index is out of range";
}  // namespace errors

}  // namespace miniredis
