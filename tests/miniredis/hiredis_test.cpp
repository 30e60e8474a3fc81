// miniredis through hiredis (Debian's libhiredis), the C client most language bindings wrap:
// blocking commands, binary-safe values, a pipeline of 10 000 commands with one flush, and a
// kill -9 / restart cycle with the AOF (the server process is real: tests/support/server_process).
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>

#include "server_process.hpp"

namespace {

struct ContextDeleter {
    void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

Context connect(uint16_t port) {
    Context c(redisConnect("127.0.0.1", port));
    EXPECT_TRUE(c && !c->err) << (c ? c->errstr : "no context");
    return c;
}

template <typename... Args>
ReplyPtr command(redisContext* c, const char* format, Args... args) {
    return ReplyPtr(static_cast<redisReply*>(redisCommand(c, format, args...)));
}

TEST(Hiredis, CommandsAndBinarySafeValues) {
    mb::test::ServerProcess server(mb::test::binary("MINIREDIS_BIN"), {"--save", ""});
    Context c = connect(server.port());
    auto pong = command(c.get(), "PING");
    ASSERT_EQ(pong->type, REDIS_REPLY_STATUS);
    EXPECT_STREQ(pong->str, "PONG");
    const char binary[] = {'a', '\0', '\r', '\n', 'b'};
    auto set = command(c.get(), "SET %s %b", "bin", binary, sizeof binary);
    EXPECT_STREQ(set->str, "OK");
    auto get = command(c.get(), "GET bin");
    ASSERT_EQ(get->type, REDIS_REPLY_STRING);
    EXPECT_EQ(std::string(get->str, get->len), std::string(binary, sizeof binary));
    auto incr = command(c.get(), "INCRBY counter %d", 41);
    EXPECT_EQ(incr->integer, 41);
    auto missing = command(c.get(), "GET nope");
    EXPECT_EQ(missing->type, REDIS_REPLY_NIL);
    auto wrong = command(c.get(), "LPUSH bin x");
    ASSERT_EQ(wrong->type, REDIS_REPLY_ERROR);
    EXPECT_EQ(std::string(wrong->str).rfind("WRONGTYPE", 0), 0u);
    command(c.get(), "ZADD board 10 ada 30 bob 20 cy");
    auto top = command(c.get(), "ZREVRANGE board 0 1 WITHSCORES");
    ASSERT_EQ(top->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(top->elements, 4u);
    EXPECT_STREQ(top->element[0]->str, "bob");
    EXPECT_STREQ(top->element[1]->str, "30");
}

// A stream through hiredis: binary-safe field values, a consumer group, the nested reply shape
// of XREADGROUP (stream -> entries -> [id, [field, value]]), XACK and XPENDING.
TEST(Hiredis, StreamWithAConsumerGroup) {
    mb::test::ServerProcess server(mb::test::binary("MINIREDIS_BIN"), {"--save", ""});
    Context c = connect(server.port());
    EXPECT_STREQ(command(c.get(), "XGROUP CREATE jobs workers $ MKSTREAM")->str, "OK");
    const char binary[] = {'j', '\0', '\r', '\n', 'b'};
    auto id = command(c.get(), "XADD jobs * payload %b", binary, sizeof binary);
    ASSERT_EQ(id->type, REDIS_REPLY_STRING);
    auto read = command(c.get(), "XREADGROUP GROUP workers w1 COUNT 10 STREAMS jobs >");
    ASSERT_EQ(read->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(read->elements, 1u);
    redisReply* stream = read->element[0];
    EXPECT_STREQ(stream->element[0]->str, "jobs");
    ASSERT_EQ(stream->element[1]->elements, 1u);
    redisReply* entry = stream->element[1]->element[0];
    EXPECT_STREQ(entry->element[0]->str, id->str);
    EXPECT_EQ(std::string(entry->element[1]->element[1]->str, entry->element[1]->element[1]->len),
              std::string(binary, sizeof binary));
    EXPECT_EQ(command(c.get(), "XPENDING jobs workers")->element[0]->integer, 1);
    EXPECT_EQ(command(c.get(), "XACK jobs workers %s", id->str)->integer, 1);
    EXPECT_EQ(command(c.get(), "XPENDING jobs workers")->element[0]->integer, 0);
    auto empty = command(c.get(), "XREADGROUP GROUP workers w1 BLOCK 10 STREAMS jobs >");
    EXPECT_EQ(empty->type, REDIS_REPLY_NIL);
}

TEST(Hiredis, PipelineOfTenThousandCommands) {
    mb::test::ServerProcess server(mb::test::binary("MINIREDIS_BIN"), {"--save", ""});
    Context c = connect(server.port());
    constexpr int kCount = 10000;
    for (int i = 0; i < kCount; ++i) redisAppendCommand(c.get(), "RPUSH queue %d", i);
    for (int i = 0; i < kCount; ++i) {
        void* raw = nullptr;
        ASSERT_EQ(redisGetReply(c.get(), &raw), REDIS_OK);
        ReplyPtr reply(static_cast<redisReply*>(raw));
        ASSERT_EQ(reply->integer, i + 1);
    }
    auto len = command(c.get(), "LLEN queue");
    EXPECT_EQ(len->integer, kCount);
}

TEST(Hiredis, AcknowledgedWritesSurviveKill9WithAppendfsyncAlways) {
    mb::test::ServerProcess server(mb::test::binary("MINIREDIS_BIN"),
                                   {"--appendonly", "yes", "--appendfsync", "always", "--save", ""});
    {
        Context c = connect(server.port());
        for (int i = 0; i < 500; ++i) {
            auto r = command(c.get(), "HSET user:%d visits %d", i, i);
            ASSERT_EQ(r->type, REDIS_REPLY_INTEGER);  // acknowledged => durable
        }
    }
    server.kill9();
    server.restart();
    Context c = connect(server.port());
    for (int i = 0; i < 500; ++i) {
        auto r = command(c.get(), "HGET user:%d visits", i);
        ASSERT_EQ(r->type, REDIS_REPLY_STRING) << i;
        EXPECT_EQ(std::string(r->str), std::to_string(i));
    }
}

}  // namespace
