// Behaviour that involves more than one client: BLPOP served by another client's push (and
// timing out on the injected clock), pub/sub delivery, WATCH conflicts, EXECABORT.
#include <gtest/gtest.h>

#include "harness.hpp"

using miniredis::Client;
using miniredis::test::Harness;

namespace {

TEST(Blocking, PushWakesTheOldestWaiterFirst) {
    Harness h;
    Client& worker1 = h.connect();
    Client& worker2 = h.connect();
    Client& producer = h.connect();
    EXPECT_EQ(h.run(worker1, {"BRPOP", "jobs", "0"}), "");  // blocks: no reply yet
    EXPECT_EQ(h.run(worker2, {"BRPOP", "jobs", "0"}), "");
    EXPECT_TRUE(worker1.blocked.active);
    EXPECT_EQ(h.run(producer, {"LPUSH", "jobs", "job1"}), ":1\r\n");
    EXPECT_EQ(h.take_output(worker1), "*2\r\n$4\r\njobs\r\n$4\r\njob1\r\n");
    EXPECT_EQ(h.take_output(worker2), "");
    EXPECT_EQ(h.run(producer, {"RPUSH", "jobs", "job2", "job3"}), ":2\r\n");  // job2 served, job3 stays
    EXPECT_EQ(h.take_output(worker2), "*2\r\n$4\r\njobs\r\n$4\r\njob3\r\n");  // BRPOP: from the right
    EXPECT_EQ(h.run(producer, {"LRANGE", "jobs", "0", "-1"}), "*1\r\n$4\r\njob2\r\n");
}

TEST(Blocking, TimeoutRepliesNilOnTheInjectedClock) {
    Harness h;
    Client& c = h.connect();
    EXPECT_EQ(h.run(c, {"BLPOP", "q", "1.5"}), "");
    h.clock.advance_ms(1499);
    h.state.expire_blocked_clients();
    EXPECT_EQ(h.take_output(c), "");
    h.clock.advance_ms(1);
    h.state.expire_blocked_clients();
    EXPECT_EQ(h.take_output(c), "*-1\r\n");
    EXPECT_FALSE(c.blocked.active);
}

TEST(Blocking, CommandsSentWhileBlockedRunAfterwards) {
    Harness h;
    Client& c = h.connect();
    Client& producer = h.connect();
    EXPECT_EQ(h.send_raw(c, miniredis::test::encode({"BLPOP", "q", "0"}) + miniredis::test::encode({"PING"})), "");
    h.run(producer, {"RPUSH", "q", "x"});
    h.state.before_sleep();  // runs the PING that waited behind the BLPOP
    EXPECT_EQ(h.take_output(c), "*2\r\n$1\r\nq\r\n$1\r\nx\r\n+PONG\r\n");
}

TEST(Blocking, BlmoveServedWaiterPushesToTarget) {
    Harness h;
    Client& c = h.connect();
    Client& producer = h.connect();
    h.run(c, {"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"});
    h.run(producer, {"RPUSH", "src", "a"});
    EXPECT_EQ(h.take_output(c), "$1\r\na\r\n");
    EXPECT_EQ(h.run(producer, {"LRANGE", "dst", "0", "-1"}), "*1\r\n$1\r\na\r\n");
    EXPECT_EQ(h.run(producer, {"EXISTS", "src"}), ":0\r\n");
}

TEST(Blocking, InsideMultiDoesNotBlock) {
    Harness h;
    h.run({"MULTI"});
    h.run({"BLPOP", "q", "0"});
    EXPECT_EQ(h.run({"EXEC"}), "*1\r\n*-1\r\n");
}

// EXEC is atomic for blocked clients too: they are served after the whole transaction, so the
// transaction's own LRANGE sees both pushes (Redis serves ready keys after the command, not
// after each command EXEC runs).
TEST(Blocking, WaitersAreServedAfterTheWholeExec) {
    Harness h;
    Client& waiter = h.connect();
    Client& c = h.connect();
    h.run(waiter, {"BLPOP", "q", "0"});
    h.run(c, {"MULTI"});
    h.run(c, {"RPUSH", "q", "1"});
    h.run(c, {"RPUSH", "q", "2"});
    h.run(c, {"LRANGE", "q", "0", "-1"});
    EXPECT_EQ(h.run(c, {"EXEC"}), "*3\r\n:1\r\n:2\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    EXPECT_EQ(h.take_output(waiter), "*2\r\n$1\r\nq\r\n$1\r\n1\r\n");
    EXPECT_EQ(h.run(c, {"LRANGE", "q", "0", "-1"}), "*1\r\n$1\r\n2\r\n");
}

// A list can arrive under a waited-on name without a push: RENAME and COPY must wake the waiter.
TEST(Blocking, RenameAndCopyOntoTheKeyWakeTheWaiter) {
    Harness h;
    Client& waiter = h.connect();
    Client& c = h.connect();
    h.run(waiter, {"BLPOP", "dst", "0"});
    h.run(c, {"RPUSH", "src", "x"});
    EXPECT_EQ(h.run(c, {"RENAME", "src", "dst"}), "+OK\r\n");
    EXPECT_EQ(h.take_output(waiter), "*2\r\n$3\r\ndst\r\n$1\r\nx\r\n");
    EXPECT_EQ(h.run(c, {"EXISTS", "dst"}), ":0\r\n");

    h.run(waiter, {"BLPOP", "dst2", "0"});
    h.run(c, {"RPUSH", "src2", "y"});
    EXPECT_EQ(h.run(c, {"COPY", "src2", "dst2"}), ":1\r\n");
    EXPECT_EQ(h.take_output(waiter), "*2\r\n$4\r\ndst2\r\n$1\r\ny\r\n");
    EXPECT_EQ(h.run(c, {"LRANGE", "src2", "0", "-1"}), "*1\r\n$1\r\ny\r\n");
}

// CLIENT KILL closes the connection only when its turn comes; until then a killed waiter must not
// stay in line and swallow the next push.
TEST(Blocking, KilledWaiterDoesNotConsumeALaterPush) {
    Harness h;
    Client& waiter = h.connect();
    Client& c = h.connect();
    h.run(waiter, {"BLPOP", "kk", "0"});
    EXPECT_EQ(h.run(c, {"CLIENT", "KILL", "ID", std::to_string(waiter.id)}), ":1\r\n");
    EXPECT_FALSE(waiter.blocked.active);
    EXPECT_EQ(h.run(c, {"RPUSH", "kk", "1"}), ":1\r\n");
    EXPECT_EQ(h.run(c, {"LLEN", "kk"}), ":1\r\n");
    EXPECT_EQ(h.take_output(waiter), "");
}

TEST(PubSub, MessagesReachChannelAndPatternSubscribers) {
    Harness h;
    Client& sub = h.connect();
    Client& psub = h.connect();
    Client& pub = h.connect();
    EXPECT_EQ(h.run(sub, {"SUBSCRIBE", "news"}), "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    EXPECT_EQ(h.run(psub, {"PSUBSCRIBE", "n*"}), "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:1\r\n");
    EXPECT_EQ(h.run(pub, {"PUBLISH", "news", "hi"}), ":2\r\n");
    EXPECT_EQ(h.take_output(sub), "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
    EXPECT_EQ(h.take_output(psub), "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
    EXPECT_EQ(h.run(sub, {"GET", "x"}),
              "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
              "this context\r\n");
    EXPECT_EQ(h.run(sub, {"PING"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    EXPECT_EQ(h.run(pub, {"PUBSUB", "NUMSUB", "news"}), "*2\r\n$4\r\nnews\r\n:1\r\n");
}

TEST(PubSub, Resp3SubscribersGetPushesAndMayRunCommands) {
    Harness h;
    Client& sub = h.connect();
    Client& pub = h.connect();
    h.run(sub, {"HELLO", "3"});
    EXPECT_EQ(h.run(sub, {"SUBSCRIBE", "c"}), ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n");
    h.run(pub, {"PUBLISH", "c", "m"});
    EXPECT_EQ(h.take_output(sub), ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n");
    EXPECT_EQ(h.run(sub, {"GET", "x"}), "_\r\n");
}

TEST(PubSub, DisconnectingUnsubscribes) {
    Harness h;
    Client& sub = h.connect();
    h.run(sub, {"SUBSCRIBE", "c"});
    EXPECT_EQ(h.state.pubsub.subscribers("c"), 1u);
    h.disconnect(sub);
    EXPECT_EQ(h.state.pubsub.subscribers("c"), 0u);
}

TEST(Transactions, WatchedKeyChangedByAnotherClientAbortsExec) {
    Harness h;
    Client& a = h.connect();
    Client& b = h.connect();
    h.run(a, {"SET", "balance", "100"});
    h.run(a, {"WATCH", "balance"});
    h.run(b, {"INCRBY", "balance", "5"});
    h.run(a, {"MULTI"});
    h.run(a, {"SET", "balance", "0"});
    EXPECT_EQ(h.run(a, {"EXEC"}), "*-1\r\n");
    EXPECT_EQ(h.run(a, {"GET", "balance"}), "$3\r\n105\r\n");
    // Without interference the same transaction goes through.
    h.run(a, {"WATCH", "balance"});
    h.run(a, {"MULTI"});
    EXPECT_EQ(h.run(a, {"SET", "balance", "0"}), "+QUEUED\r\n");
    EXPECT_EQ(h.run(a, {"EXEC"}), "*1\r\n+OK\r\n");
}

TEST(Transactions, WatchedKeyThatExpiresAbortsExec) {
    Harness h;
    h.run({"SET", "k", "v", "PX", "100"});
    h.run({"WATCH", "k"});
    h.clock.advance_ms(100);
    h.run({"MULTI"});
    h.run({"PING"});
    EXPECT_EQ(h.run({"EXEC"}), "*-1\r\n");
}

TEST(Transactions, QueueingErrorGivesExecabort) {
    Harness h;
    h.run({"MULTI"});
    EXPECT_EQ(h.run({"SET", "k"}), "-ERR wrong number of arguments for 'set' command\r\n");
    h.run({"SET", "k", "v"});
    EXPECT_EQ(h.run({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
    EXPECT_EQ(h.run({"EXISTS", "k"}), ":0\r\n");
}

TEST(Transactions, RuntimeErrorsDoNotRollBack) {
    Harness h;
    h.run({"SET", "s", "text"});
    h.run({"MULTI"});
    h.run({"INCR", "s"});
    h.run({"SET", "t", "1"});
    EXPECT_EQ(h.run({"EXEC"}), "*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n");
}

// SHUTDOWN (like SAVE) cannot be queued: run from EXEC it would stop the server halfway through
// the reply array and leave a MULTI without its EXEC in the AOF (Redis flag "no-multi").
TEST(Transactions, ShutdownIsRefusedInsideMulti) {
    Harness h;
    h.run({"SET", "before", "1"});
    h.run({"MULTI"});
    EXPECT_EQ(h.run({"SET", "a", "1"}), "+QUEUED\r\n");
    EXPECT_EQ(h.run({"SHUTDOWN", "NOSAVE"}), "-ERR Command not allowed inside a transaction\r\n");
    EXPECT_EQ(h.run({"SET", "b", "2"}), "+QUEUED\r\n");
    EXPECT_EQ(h.run({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
    EXPECT_FALSE(h.state.shutting_down);
    EXPECT_EQ(h.run({"EXISTS", "before", "a", "b"}), ":1\r\n");
}

}  // namespace

namespace {

TEST(Trace, OneLinePerCommandShowsItsPath) {
    Harness h(miniredis::test::test_config({{"trace", "yes"}}));
    std::vector<std::string> lines;
    h.state.trace = [&](std::string_view line) { lines.emplace_back(line); };
    h.run({"SET", "session:42", "data", "EX", "1800"});
    h.run({"GET", "session:42"});
    h.run({"GET", "nope"});
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "SET session:42 data EX 1800 -> keyspace db0: 1 change, expires in 1800 s -> reply +OK");
    EXPECT_EQ(lines[1], "GET session:42 -> keyspace db0: 1 hit -> reply $4");
    EXPECT_EQ(lines[2], "GET nope -> keyspace db0: 1 miss -> reply $-1");
    h.state.config.trace = false;  // off: nothing, not even formatting
    h.run({"GET", "session:42"});
    EXPECT_EQ(lines.size(), 3u);
}

}  // namespace
