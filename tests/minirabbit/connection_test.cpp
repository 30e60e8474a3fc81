// A Connection driven by bytes, no sockets (a fake Transport stands in for server.cpp): the
// handshake, AMQPLAIN, guest from a remote address, pipelined frames in one read, a publish that
// arrives one byte at a time, a hard error, and what closing a connection cleans up.
#include "core/connection.hpp"

#include <gtest/gtest.h>

#include <random>

#include "model/broker.hpp"
#include "protocol/content_header.hpp"

using namespace minirabbit;
using namespace minirabbit::amqp;

namespace {

struct FakeTransport final : Transport {
    int wakes = 0;
    bool closing = false;
    bool paused = false;
    void wake_writer() override { ++wakes; }
    void close_after_writing() override { closing = true; }
    void set_reading_paused(bool p) override { paused = p; }
};

struct Reply {
    FrameType type;
    uint16_t channel;
    uint32_t method;  // for method frames
    std::string payload;
};

struct ConnectionTest : ::testing::Test {
    Broker broker;
    FakeTransport transport;
    std::unique_ptr<Connection> connection;
    mb::ByteBuffer in;

    ConnectionTest() {
        broker.add_vhost("/");
        broker.users().put_user("guest", "guest", {"administrator"});
        broker.users().set_permission("/", "guest", Permission(".*", ".*", ".*"));
    }
    void open(bool loopback = true) { connection = std::make_unique<Connection>(broker, transport, "peer", loopback); }

    void send(std::string_view bytes) {
        in.append(bytes);
        connection->on_bytes(in);
        connection->end_of_batch();
    }
    // Every frame the connection wrote since the last call.
    std::vector<Reply> replies() {
        std::vector<Reply> out;
        std::string_view rest = connection->out().readable();
        while (!rest.empty()) {
            auto parsed = parse_frame(rest, kDefaultFrameMax);
            if (parsed.status != FrameParse::Status::complete) break;
            uint32_t method =
                parsed.frame.type == FrameType::method ? mb::load_big_endian<uint32_t>(parsed.frame.payload.data()) : 0;
            out.push_back(Reply{parsed.frame.type, parsed.frame.channel, method, std::string(parsed.frame.payload)});
            rest.remove_prefix(parsed.consumed);
        }
        connection->out().clear();
        return out;
    }
    static std::string start_ok(std::string_view mechanism, std::string_view response) {
        mb::ByteBuffer b;
        MethodWriter(b, 0, connection_start_ok).table({}).shortstr(mechanism).longstr(response).shortstr("en_US").end();
        return std::string(b.readable());
    }
    void handshake() {
        send(kProtocolHeader);
        ASSERT_EQ(replies().at(0).method, connection_start);
        send(start_ok("PLAIN", std::string("\0guest\0guest", 12)));
        ASSERT_EQ(replies().at(0).method, connection_tune);
        mb::ByteBuffer b;
        MethodWriter(b, 0, connection_tune_ok).short_(100).long_(kDefaultFrameMax).short_(0).end();
        MethodWriter(b, 0, connection_open).shortstr("/").shortstr("").bits({false}).end();
        MethodWriter(b, 1, channel_open).shortstr("").end();
        send(b.readable());
        auto r = replies();
        ASSERT_EQ(r.size(), 2u);
        EXPECT_EQ(r[0].method, connection_open_ok);
        EXPECT_EQ(r[1].method, channel_open_ok);
        EXPECT_EQ(connection->state(), Connection::State::open);
    }
    static std::string publish(std::string_view queue, std::string_view body) {
        mb::ByteBuffer b;
        MethodWriter(b, 1, basic_publish).short_(0).shortstr("").shortstr(queue).bits({false, false}).end();
        write_content_header(b, 1, body.size(), std::string_view("\0\0", 2));
        write_body_frames(b, 1, body, kDefaultFrameMax);
        return std::string(b.readable());
    }
    static std::string declare(std::string_view queue, bool exclusive = false) {
        mb::ByteBuffer b;
        MethodWriter(b, 1, queue_declare)
            .short_(0)
            .shortstr(queue)
            .bits({false, false, exclusive, false, false})  // passive durable exclusive auto-delete no-wait
            .table({})
            .end();
        return std::string(b.readable());
    }
    static std::string delete_queue(std::string_view queue) {
        mb::ByteBuffer b;
        MethodWriter(b, 1, queue_delete).short_(0).shortstr(queue).bits({false, false, false}).end();
        return std::string(b.readable());
    }
    static std::string consume(std::string_view queue) {  // manual acks: deliveries stay unacked
        mb::ByteBuffer b;
        MethodWriter(b, 1, basic_consume)
            .short_(0)
            .shortstr(queue)
            .shortstr("worker")
            .bits({false, false, false, false})  // no-local no-ack exclusive no-wait
            .table({})
            .end();
        return std::string(b.readable());
    }
    static std::string get(std::string_view queue) {
        mb::ByteBuffer b;
        MethodWriter(b, 1, basic_get).short_(0).shortstr(queue).bits({true}).end();
        return std::string(b.readable());
    }
};

}  // namespace

TEST_F(ConnectionTest, HandshakeOpensAConnectionAndAChannel) {
    open();
    handshake();
}

TEST_F(ConnectionTest, AmqplainCredentialsAreATableWithoutItsLength) {
    open();
    send(kProtocolHeader);
    replies();
    FieldTable credentials;
    credentials.set("LOGIN", FieldValue{"guest"});
    credentials.set("PASSWORD", FieldValue{"guest"});
    mb::ByteBuffer table;
    mb::ByteWriter w(table);
    encode_field_table(w, credentials);
    send(start_ok("AMQPLAIN", table.readable().substr(4)));
    EXPECT_EQ(replies().at(0).method, connection_tune);
}

TEST_F(ConnectionTest, GuestIsRefusedFromARemoteAddress) {
    open(/*loopback=*/false);
    send(kProtocolHeader);
    replies();
    send(start_ok("PLAIN", std::string("\0guest\0guest", 12)));
    // The client did not announce authentication_failure_close: RabbitMQ just closes the socket.
    EXPECT_TRUE(replies().empty());
    EXPECT_TRUE(transport.closing);
}

TEST_F(ConnectionTest, PipelinedFramesInOneReadAreAllAnswered) {
    open();
    handshake();
    send(declare("q") + publish("q", "one") + publish("q", "two") + get("q") + get("q") + get("q"));
    auto r = replies();
    std::vector<uint32_t> methods;
    for (const auto& reply : r)
        if (reply.type == FrameType::method) methods.push_back(reply.method);
    EXPECT_EQ(methods, (std::vector<uint32_t>{queue_declare_ok, basic_get_ok, basic_get_ok, basic_get_empty}));
    EXPECT_EQ(r.back().method, basic_get_empty);
    EXPECT_EQ(r[3].payload, "one");  // declare-ok, get-ok, header, body
}

TEST_F(ConnectionTest, AFrameArrivingOneByteAtATimeIsTheSameFrame) {
    open();
    handshake();
    send(declare("q"));
    replies();
    std::string bytes = publish("q", "trickled in");
    for (char c : bytes) send(std::string_view(&c, 1));
    send(get("q"));
    auto r = replies();
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].method, basic_get_ok);
    EXPECT_EQ(r[2].payload, "trickled in");
}

TEST_F(ConnectionTest, AContentFrameOnChannelZeroIsAHardError) {
    open();
    handshake();
    mb::ByteBuffer b;
    write_body_frames(b, 0, "stray", kDefaultFrameMax);
    send(b.readable());
    auto r = replies();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].method, connection_close);
    MethodReader args(std::string_view(r[0].payload).substr(4));
    EXPECT_EQ(args.u16(), unexpected_frame);
    EXPECT_EQ(connection->state(), Connection::State::closing);
    // After connection.close only close-ok counts; other frames are ignored, as the spec says.
    send(declare("ignored"));
    EXPECT_TRUE(replies().empty());
    mb::ByteBuffer ok;
    write_empty_method(ok, 0, connection_close_ok);
    send(ok.readable());
    EXPECT_TRUE(transport.closing);
}

TEST_F(ConnectionTest, RandomMethodsWithRandomArgumentsNeverCrash) {
    // Fuzz-style: every method a client may send, with random (often truncated or nonsensical)
    // arguments, mixed with stray content frames. Each must end in a reply or a protocol error;
    // under ASan this also proves no read past a frame. Afterwards the broker still works.
    static constexpr uint32_t kMethods[] = {
        channel_flow,  exchange_declare, exchange_delete, exchange_bind, exchange_unbind, queue_declare,
        queue_bind,    queue_unbind,     queue_purge,     queue_delete,  basic_qos,       basic_consume,
        basic_cancel,  basic_publish,    basic_get,       basic_ack,     basic_reject,    basic_nack,
        basic_recover, confirm_select,   tx_select,       tx_commit,     tx_rollback,     channel_close};
    std::mt19937 random(2024);
    auto random_bytes = [&](size_t n) {
        std::string b(n, '\0');
        for (char& c : b) c = static_cast<char>(random() % 4 == 0 ? random() : random() % 8);
        return b;
    };
    int connections = 0;
    for (int round = 0; round < 3000; ++round) {
        if (!connection || connection->state() != Connection::State::open) {
            transport = FakeTransport{};
            in.clear();
            open();
            handshake();
            ++connections;
        }
        mb::ByteBuffer b;
        uint16_t channel = random() % 8 == 0 ? static_cast<uint16_t>(random() % 3) : 1;
        switch (random() % 10) {
            case 0:
                write_content_header(b, channel, random() % 100, random_bytes(random() % 6));
                break;
            case 1:
                write_body_frames(b, channel, random_bytes(random() % 50), kDefaultFrameMax);
                break;
            case 2:
                MethodWriter(b, channel, channel_open).shortstr("").end();
                break;
            default: {
                uint32_t method = kMethods[random() % std::size(kMethods)];
                size_t at = begin_frame(b, FrameType::method, channel);
                mb::ByteWriter(b).u32(method);
                b.append(random_bytes(random() % 40));
                end_frame(b, at);
            }
        }
        send(b.readable());
        replies();
    }
    EXPECT_GT(connections, 1);  // the fuzzing did provoke connection errors
    // A well-behaved client still gets served.
    transport = FakeTransport{};
    in.clear();
    open();
    handshake();
    send(declare("after-fuzz") + publish("after-fuzz", "fine") + get("after-fuzz"));
    auto r = replies();
    ASSERT_GE(r.size(), 4u);
    EXPECT_EQ(r[1].method, basic_get_ok);
    EXPECT_EQ(r[3].payload, "fine");
}

TEST_F(ConnectionTest, UnsentRepliesPastTheLimitStopTheParsingBetweenFrames) {
    open();
    handshake();
    const std::string mib(1 << 20, 'm');
    std::string publishes = declare("big");
    for (int i = 0; i < 8; ++i) publishes += publish("big", mib);
    send(publishes);
    replies();
    // Eight gets in one read: answering all would put 8 MiB in the output buffer.
    std::string gets;
    for (int i = 0; i < 8; ++i) gets += get("big");
    in.append(gets);
    EXPECT_TRUE(connection->on_bytes(in));  // stopped early, frames left
    EXPECT_TRUE(connection->must_stop_reading());
    EXPECT_LE(connection->unsent_bytes(), Connection::kStopReadingAbove + mib.size() + 4096);
    EXPECT_FALSE(in.empty());
    // The writer drains it: what was left is handled.
    size_t answered = 0;
    while (!in.empty()) {
        for (const auto& reply : replies()) answered += reply.method == basic_get_ok;
        connection->on_bytes(in);
    }
    for (const auto& reply : replies()) answered += reply.method == basic_get_ok;
    EXPECT_EQ(answered, 8u);
}

TEST_F(ConnectionTest, BytesTheWriterHasNotSentYetCountAsUnsent) {
    open();
    handshake();
    send(declare("q"));
    replies();
    connection->set_bytes_in_flight(Connection::kStopReadingAbove + 1);  // a write the socket did not take
    in.append(declare("q") + declare("q"));
    EXPECT_TRUE(connection->on_bytes(in));  // one declare handled, then it stops
    EXPECT_EQ(replies().size(), 1u);
    connection->set_bytes_in_flight(0);
    EXPECT_FALSE(connection->on_bytes(in));
    EXPECT_EQ(replies().size(), 1u);
}

// Closing a connection cleans up what it owns - its exclusive queues are deleted, its consumers'
// unacked messages go back to their queues in their original order, flagged redelivered - and
// visits only that: the queues of other clients are not looked at. It used to walk every queue
// of the vhost to find the exclusive ones (2,003 visits here instead of 2).
TEST_F(ConnectionTest, ClosingVisitsOnlyTheQueuesTheConnectionOwns) {
    Vhost& vhost = *broker.find_vhost("/");
    for (int i = 0; i < 2000; ++i)  // other clients' queues
        vhost.add_queue(std::make_shared<Queue>(vhost, "other-" + std::to_string(i), false, false, false, FieldTable{},
                                                QueueArguments{}, 0));
    open();
    handshake();
    send(declare("work") + publish("work", "one") + publish("work", "two") + publish("work", "three"));
    send(declare("mine-1", true) + declare("mine-2", true) + consume("work"));
    size_t deliveries = 0;
    for (const auto& reply : replies()) deliveries += reply.method == basic_deliver;
    ASSERT_EQ(deliveries, 3u);
    ASSERT_EQ(vhost.find_queue("work")->unacked_count(), 3u);

    EXPECT_EQ(connection->shutdown(), 2u);  // its two exclusive queues, nothing else

    EXPECT_EQ(vhost.find_queue("mine-1"), nullptr);
    EXPECT_EQ(vhost.find_queue("mine-2"), nullptr);
    EXPECT_EQ(vhost.queues().size(), 2001u);  // the others and "work" stay
    Queue& work = *vhost.find_queue("work");
    EXPECT_EQ(work.unacked_count(), 0u);
    EXPECT_EQ(work.consumer_count(), 0u);
    std::vector<std::string> bodies;
    work.for_each_ready([&](const QueuedMessage& m) {
        bodies.emplace_back(m.message->body());
        EXPECT_TRUE(m.redelivered);
    });
    EXPECT_EQ(bodies, (std::vector<std::string>{"one", "two", "three"}));
}

// A client that declares and deletes exclusive queues all day: the connection's list of them
// forgets the deleted ones instead of growing with every declare.
TEST_F(ConnectionTest, DeletedExclusiveQueuesLeaveTheConnectionsList) {
    open();
    handshake();
    for (int i = 0; i < 1000; ++i) send(declare("temp", true) + delete_queue("temp"));
    EXPECT_LE(connection->exclusive_queue_entries(), 32u);
    send(declare("kept", true));
    EXPECT_LE(connection->shutdown(), 33u);
    EXPECT_EQ(broker.find_vhost("/")->find_queue("kept"), nullptr);  // still deleted with the connection
}
