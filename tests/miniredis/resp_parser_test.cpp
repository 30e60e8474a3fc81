// RequestParser: whole, split, pipelined, inline and malformed requests; random and truncated
// input never crashes and never reads past the buffer.
#include "protocol/resp_parser.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using miniredis::resp::RequestParser;
using Status = RequestParser::Status;

namespace {

std::vector<std::string> args_of(const RequestParser& p) { return {p.args().begin(), p.args().end()}; }

TEST(RespParser, ParsesOneMultibulkCommand) {
    RequestParser p;
    std::string in = "*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$5\r\nworld\r\n";
    ASSERT_EQ(p.parse(in), Status::complete);
    EXPECT_EQ(args_of(p), (std::vector<std::string>{"SET", "hello", "world"}));
    EXPECT_EQ(p.consumed(), in.size());
}

TEST(RespParser, BinarySafeArguments) {
    RequestParser p;
    std::string in("*2\r\n$3\r\nGET\r\n$4\r\na\r\0b\r\n", 23);
    ASSERT_EQ(p.parse(in), Status::complete);
    EXPECT_EQ(args_of(p)[1], std::string("a\r\0b", 4));
}

TEST(RespParser, EveryPrefixIsIncompleteThenTheWholeIsComplete) {
    std::string in = "*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$10\r\n0123456789\r\n";
    for (size_t cut = 0; cut < in.size(); ++cut) {
        RequestParser p;
        // Feed the prefix, then the whole thing: the parser must resume, not restart wrongly.
        EXPECT_EQ(p.parse(std::string_view(in).substr(0, cut)), Status::need_more) << "cut at " << cut;
        ASSERT_EQ(p.parse(in), Status::complete) << "cut at " << cut;
        EXPECT_EQ(args_of(p), (std::vector<std::string>{"SET", "hello", "0123456789"}));
    }
}

TEST(RespParser, ByteByByteDelivery) {
    std::string in = "*2\r\n$4\r\nECHO\r\n$3\r\nhey\r\n";
    RequestParser p;
    std::string buffer;
    Status s = Status::need_more;
    for (char c : in) {
        buffer.push_back(c);
        s = p.parse(buffer);
        if (s != Status::need_more) break;
    }
    ASSERT_EQ(s, Status::complete);
    EXPECT_EQ(args_of(p), (std::vector<std::string>{"ECHO", "hey"}));
}

TEST(RespParser, PipelinedCommandsComeOneAtATime) {
    std::string in = "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\nPING\r\n";
    RequestParser p;
    std::vector<std::vector<std::string>> seen;
    std::string_view rest = in;
    while (p.parse(rest) == Status::complete) {
        seen.push_back(args_of(p));
        rest.remove_prefix(p.consumed());
        p.reset();
    }
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[1], (std::vector<std::string>{"ECHO", "x"}));
    EXPECT_EQ(seen[2], (std::vector<std::string>{"PING"}));
    EXPECT_TRUE(rest.empty());
}

TEST(RespParser, BytesWantedAnnouncesALargeValue) {
    RequestParser p;
    EXPECT_EQ(p.parse("*2\r\n$3\r\nSET\r\n$100000\r\nabc"), Status::need_more);
    EXPECT_EQ(p.bytes_wanted(), 100000u + 2 - 3);
}

TEST(RespParser, InlineCommandsWithQuotes) {
    RequestParser p;
    ASSERT_EQ(p.parse("SET \"a b\" 'it''s'\r\n"), Status::error);  // quote not followed by space
    p.reset();
    ASSERT_EQ(p.parse("SET \"a\\x41\\n\" 'it\\'s'  \r\n"), Status::complete);
    EXPECT_EQ(args_of(p), (std::vector<std::string>{"SET", "aA\n", "it's"}));
    p.reset();
    ASSERT_EQ(p.parse("\r\n"), Status::complete);
    EXPECT_TRUE(p.args().empty());
}

TEST(RespParser, ProtocolErrorsCarryRedisTexts) {
    struct Case {
        std::string input;
        std::string error;
    };
    std::vector<Case> cases = {
        {"*x\r\n", "Protocol error: invalid multibulk length"},
        {"*2\r\n+OK\r\n", "Protocol error: expected '$', got '+'"},
        {"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"},
        {"*1\r\n$abc\r\n", "Protocol error: invalid bulk length"},
        {"SET \"unterminated\r\n", "Protocol error: unbalanced quotes in request"},
        {"*1\r\n$" + std::to_string(600LL * 1024 * 1024) + "\r\n", "Protocol error: invalid bulk length"},
        {std::string(70000, 'a'), "Protocol error: too big inline request"},
        {"*" + std::string(70000, '1'), "Protocol error: too big mbulk count string"},
    };
    for (const Case& c : cases) {
        RequestParser p;
        EXPECT_EQ(p.parse(c.input), Status::error) << c.input.substr(0, 20);
        EXPECT_EQ(p.error(), c.error);
    }
}

TEST(RespParser, EmptyMultibulkIsSkipped) {
    RequestParser p;
    ASSERT_EQ(p.parse("*0\r\n"), Status::complete);
    EXPECT_TRUE(p.args().empty());
    EXPECT_EQ(p.consumed(), 4u);
}

// Random bytes and random truncations of valid requests: any status is fine, but never a crash,
// never consumed() beyond the input, and complete commands' arguments lie inside the input.
TEST(RespParser, RandomAndTruncatedInputIsSafe) {
    std::mt19937 rng(42);
    const std::string alphabet = "*$\r\n0123456789-abc \"'\\x";
    std::string valid = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
    for (int round = 0; round < 20000; ++round) {
        std::string input;
        if (round % 2 == 0) {
            size_t n = rng() % 40;
            for (size_t i = 0; i < n; ++i) input.push_back(alphabet[rng() % alphabet.size()]);
        } else {
            input = valid.substr(0, rng() % valid.size());
            if (!input.empty()) input[rng() % input.size()] = alphabet[rng() % alphabet.size()];
        }
        RequestParser p(1024);
        std::string_view rest = input;
        for (int guard = 0; guard < 100; ++guard) {
            Status s = p.parse(rest);
            if (s != Status::complete) break;
            ASSERT_LE(p.consumed(), rest.size());
            ASSERT_GT(p.consumed(), 0u);
            rest.remove_prefix(p.consumed());
            p.reset();
        }
    }
}

}  // namespace
