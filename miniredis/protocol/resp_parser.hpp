// miniredis/protocol/resp_parser.hpp
//
// RequestParser: bytes from a client -> one command's arguments (RESP requests, Redis' "query
// buffer" processing in networking.c).
//
// CONCEPT: a client sends each command as a RESP array of bulk strings,
//
//   *3\r\n $3\r\nSET\r\n $5\r\nhello\r\n $5\r\nworld\r\n      (spaces added for reading)
//   count    length+bytes     length+bytes       length+bytes
//
// or, typed into telnet, as an "inline" line: `SET hello world\r\n`. Length prefixes make it
// binary safe (a value may contain \r\n) and let the parser jump over a value without scanning it.
//
// A TCP read can end anywhere - in the middle of a length, or of a 100 MB value - so the parser is
// incremental: it remembers how far it got (how many arguments are left, how long the current one
// is) and the next call continues from there instead of re-reading from the start. Arguments are
// returned as string_views into the caller's buffer: no copy, no allocation per request.
//
// Limits (Redis' own): a bulk string over proto-max-bulk-len, a count line over 64 KB, an inline
// request over 64 KB without a newline, before AUTH more than 10 arguments or 16 KB, or bytes that
// are not RESP at all give a "Protocol error: ..." - the server then replies with it and closes
// that connection.
//
// Why a parser object and not a function? Because of the incremental state above: a function would
// have to re-scan the whole query buffer on every read, and a 100 MB value arriving in 64 KB reads
// would be scanned 1,600 times. Redis keeps the same state in its client struct (multibulklen,
// bulklen); we keep it in the parser, so the state machine can be tested without a client.
//
//   server.cpp  recv() ──▶ query buffer ──▶ RequestParser::parse ──▶ args ──▶ Broker::execute
//                                              │ need_more: wait for the next read
//                                              └ error: reply "-ERR Protocol error", close
//
// READ NEXT: resp_parser.cpp (the state machine), reply.hpp (the way back),
//            commands/dispatch.cpp, docs/miniredis/01-follow-a-set.md §2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace miniredis::resp {

inline constexpr size_t kMaxInlineSize = 64 * 1024;      // Redis' PROTO_INLINE_MAX_SIZE
inline constexpr int64_t kMaxMultibulkLength = 1 << 30;  // arguments per command (Redis: INT_MAX)

class RequestParser {
public:
    enum class Status { complete, need_more, error };

    explicit RequestParser(int64_t max_bulk_len = 512 * 1024 * 1024) : max_bulk_len_(max_bulk_len) {}

    // Parses one command from the front of `input` - the same bytes as last time plus any that
    // arrived since (they may have moved in memory: only offsets are kept between calls).
    //   complete    args() holds the command (views into `input` or into this parser);
    //               the caller runs it, then drops consumed() bytes and calls reset()
    //   need_more   need more bytes; bytes_wanted() says how many at least, when known (the
    //               same name as minirabbit's and minikafka's frame codecs use)
    //   error       error() is the message for the client; the connection should be closed
    // A complete command may have zero arguments (an empty line, "*0"): skip it.
    Status parse(std::string_view input);

    std::span<const std::string_view> args() const { return args_; }
    size_t consumed() const { return pos_; }
    std::string_view error() const { return error_; }
    size_t bytes_wanted() const { return wanted_; }
    void reset();
    void set_max_bulk_len(int64_t n) { max_bulk_len_ = n; }
    // Before AUTH (when a password is set) Redis accepts only small requests - at most 10
    // arguments of at most 16 KB - so an unauthenticated stranger cannot make it buffer much.
    void set_unauthenticated(bool on) { unauthenticated_ = on; }

private:
    Status parse_inline(std::string_view input);
    Status parse_multibulk(std::string_view input);
    Status fail(std::string_view message);

    int64_t max_bulk_len_;
    bool unauthenticated_ = false;
    size_t pos_ = 0;          // next byte to look at, as an offset into the input
    int64_t args_left_ = -1;  // -1: the "*N" line is not read yet
    int64_t bulk_len_ = -1;   // -1: the "$N" line of the next argument is not read yet
    size_t wanted_ = 0;
    std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of each argument so far
    std::vector<std::string_view> args_;
    std::string inline_storage_;  // unescaped inline arguments live here
    std::string error_;
};

// Splits an inline request line into arguments as redis-cli and Redis do (sdssplitargs):
// whitespace separates, "double quotes" understand \n \r \t \b \a \\ \" \xHH, 'single quotes'
// understand \'. Returns false on unbalanced quotes. Appends unescaped bytes to `storage` and
// (offset, length) pairs into it to `spans`.
bool split_inline_args(std::string_view line, std::string& storage, std::vector<std::pair<size_t, size_t>>& spans);

}  // namespace miniredis::resp

namespace miniredis {
// Command names and keywords (SET ... EX, CONFIG get) are case-insensitive in Redis's protocol.
bool equals_ignore_case(std::string_view a, std::string_view b);
}  // namespace miniredis
