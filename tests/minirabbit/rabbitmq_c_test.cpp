// rabbitmq-c (librabbitmq, the C client under amqp-tools and many language bindings) against
// minirabbit: log in, declare, bind, publish with publisher confirms, consume with acks, and a
// channel error that leaves the connection usable. A real C client, driven from a GoogleTest.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "server_process.hpp"

namespace {

amqp_bytes_t bytes(const char* s) { return amqp_cstring_bytes(s); }
std::string text(amqp_bytes_t b) { return std::string(static_cast<const char*>(b.bytes), b.len); }

struct RabbitmqC : ::testing::Test {
    mb::test::ServerProcess server{mb::test::binary("MINIRABBIT_BIN")};
    amqp_connection_state_t conn = amqp_new_connection();

    void SetUp() override {
        amqp_socket_t* socket = amqp_tcp_socket_new(conn);
        ASSERT_EQ(amqp_socket_open(socket, "127.0.0.1", server.port()), AMQP_STATUS_OK);
        amqp_rpc_reply_t login = amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
        ASSERT_EQ(login.reply_type, AMQP_RESPONSE_NORMAL);
        amqp_channel_open(conn, 1);
        ASSERT_EQ(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);
    }
    void TearDown() override {
        amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(conn);
    }
};

TEST_F(RabbitmqC, PublishWithConfirmsThenConsumeAndAck) {
    amqp_queue_declare_ok_t* declared = amqp_queue_declare(conn, 1, bytes("c-queue"), 0, 1, 0, 0, amqp_empty_table);
    ASSERT_NE(declared, nullptr);
    amqp_exchange_declare(conn, 1, bytes("c-direct"), bytes("direct"), 0, 1, 0, 0, amqp_empty_table);
    ASSERT_EQ(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);
    amqp_queue_bind(conn, 1, bytes("c-queue"), bytes("c-direct"), bytes("key"), amqp_empty_table);
    ASSERT_EQ(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);

    amqp_confirm_select(conn, 1);
    ASSERT_EQ(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);
    amqp_basic_properties_t props;
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
    props.delivery_mode = 2;
    props.content_type = bytes("text/plain");
    for (int i = 0; i < 3; ++i) {
        std::string body = "message " + std::to_string(i);
        ASSERT_EQ(amqp_basic_publish(conn, 1, bytes("c-direct"), bytes("key"), 0, 0, &props, bytes(body.c_str())),
                  AMQP_STATUS_OK);
    }
    // The confirms: basic.ack frames for publish sequence numbers 1..3 (possibly as one "multiple").
    uint64_t confirmed = 0;
    while (confirmed < 3) {
        amqp_frame_t frame;
        ASSERT_EQ(amqp_simple_wait_frame(conn, &frame), AMQP_STATUS_OK);
        ASSERT_EQ(frame.frame_type, AMQP_FRAME_METHOD);
        ASSERT_EQ(frame.payload.method.id, AMQP_BASIC_ACK_METHOD);
        auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
        confirmed = ack->delivery_tag;
    }

    amqp_basic_qos(conn, 1, 0, 10, 0);
    amqp_basic_consume(conn, 1, bytes("c-queue"), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
    ASSERT_EQ(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);
    for (int i = 0; i < 3; ++i) {
        amqp_envelope_t envelope;
        amqp_maybe_release_buffers(conn);
        amqp_rpc_reply_t got = amqp_consume_message(conn, &envelope, nullptr, 0);
        ASSERT_EQ(got.reply_type, AMQP_RESPONSE_NORMAL);
        EXPECT_EQ(text(envelope.message.body), "message " + std::to_string(i));
        EXPECT_EQ(text(envelope.routing_key), "key");
        EXPECT_EQ(text(envelope.message.properties.content_type), "text/plain");
        EXPECT_EQ(envelope.message.properties.delivery_mode, 2);
        EXPECT_EQ(amqp_basic_ack(conn, 1, envelope.delivery_tag, 0), AMQP_STATUS_OK);
        amqp_destroy_envelope(&envelope);
    }
}

TEST_F(RabbitmqC, AChannelErrorLeavesTheConnectionUsable) {
    amqp_queue_declare(conn, 1, bytes("absent"), 1 /* passive */, 0, 0, 0, amqp_empty_table);
    amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn);
    ASSERT_EQ(reply.reply_type, AMQP_RESPONSE_SERVER_EXCEPTION);
    ASSERT_EQ(reply.reply.id, AMQP_CHANNEL_CLOSE_METHOD);
    auto* close = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
    EXPECT_EQ(close->reply_code, 404);
    EXPECT_EQ(text(close->reply_text), "NOT_FOUND - no queue 'absent' in vhost '/'");
    amqp_channel_close_ok_t close_ok{};
    amqp_send_method(conn, 1, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);

    amqp_channel_open(conn, 2);
    ASSERT_EQ(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);
    amqp_basic_publish(conn, 2, amqp_empty_bytes, bytes("amq.gen-missing"), 0, 0, nullptr, bytes("x"));
    ASSERT_NE(amqp_queue_declare(conn, 2, bytes("present"), 0, 0, 0, 0, amqp_empty_table), nullptr);
}

TEST_F(RabbitmqC, LargeBodiesAreSplitIntoFramesAndReassembled) {
    // frame_max is 131072: a 1 MB body travels as several body frames each way.
    ASSERT_NE(amqp_queue_declare(conn, 1, bytes("big"), 0, 0, 0, 0, amqp_empty_table), nullptr);
    std::string body(1 << 20, '\0');
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 31 % 251);
    amqp_bytes_t payload{body.size(), body.data()};
    ASSERT_EQ(amqp_basic_publish(conn, 1, amqp_empty_bytes, bytes("big"), 0, 0, nullptr, payload), AMQP_STATUS_OK);
    amqp_basic_get(conn, 1, bytes("big"), 1);
    ASSERT_EQ(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);
    amqp_message_t message;
    ASSERT_EQ(amqp_read_message(conn, 1, &message, 0).reply_type, AMQP_RESPONSE_NORMAL);
    EXPECT_TRUE(text(message.body) == body);
    amqp_destroy_message(&message);
}

}  // namespace
