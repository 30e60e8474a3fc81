// fuzz_amqp: libFuzzer harness for minirabbit's AMQP 0-9-1 codec and connection state machine.
//
// CONCEPT: the same coverage-guided fuzzing as fuzz_resp.cpp, for a binary, stateful protocol.
// An AMQP peer first sends "AMQP\0\0\9\1", then frames; most of what a broker does only happens
// after the handshake (start-ok, tune-ok, open, channel.open). So an input that does not begin
// with the protocol header gets a canned handshake in front of it, and the corpus holds both
// whole client sessions (captured from pika) and single frames (one publish, one declare...):
//
//   input ─► frames (parse_frame) ─► method frame ─► its decode(); tables: decode ─► encode ─►
//                                 │                  decode ─► encode gives the same bytes
//                                 └► header frame ─► decode_content_header ─► properties
//                                                    re-encoded and decoded again agree
//   [handshake +] input, in random-sized reads ─► Connection::on_bytes (no socket: a fake
//                 Transport, an in-memory Broker with a fake clock) ─► replies dropped
//
// Findings: a crash, an ASan/UBSan report, a failed FUZZ_CHECK, an allocation over libFuzzer's
// -malloc_limit_mb.
//
// READ NEXT: tests/fuzz/fuzz_kafka.cpp, minirabbit/core/connection.hpp (the state machine).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/connection.hpp"
#include "fuzz_check.hpp"
#include "log.hpp"
#include "model/broker.hpp"
#include "protocol/content_header.hpp"
#include "protocol/frame.hpp"
#include "protocol/methods.hpp"

namespace {

using namespace minirabbit;
using namespace minirabbit::amqp;

// ---- the codec ------------------------------------------------------------------------------

std::string encode(const FieldTable& table) {
    mb::ByteBuffer buffer;
    mb::ByteWriter out(buffer);
    encode_field_table(out, table);
    return std::string(buffer.readable());
}

// decode -> encode -> decode -> encode: the two encodings agree (a table is re-encoded as it
// came, so the first decode must not lose or invent entries), and encoded_size() is right.
// Bytes are compared, not values: a NaN float is not equal to itself.
void check_table(const FieldTable& table) {
    std::string first = encode(table);
    FUZZ_CHECK(first.size() == encoded_size(table));
    mb::ByteReader in(first);
    FieldTable again = decode_field_table(in);
    FUZZ_CHECK(in.ok() && in.remaining() == 0);
    FUZZ_CHECK(encode(again) == first);
}

void check_properties(const BasicProperties& p) {
    mb::ByteBuffer buffer;
    auto table = decode_headers(p);
    encode_properties(buffer, p, table ? &*table : nullptr);
    auto again = decode_properties(buffer.readable());
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->flags == p.flags);
    FUZZ_CHECK(again->content_type == p.content_type && again->content_encoding == p.content_encoding);
    FUZZ_CHECK(again->delivery_mode == p.delivery_mode && again->priority == p.priority);
    FUZZ_CHECK(again->correlation_id == p.correlation_id && again->reply_to == p.reply_to);
    FUZZ_CHECK(again->expiration == p.expiration && again->message_id == p.message_id);
    FUZZ_CHECK(again->timestamp == p.timestamp && again->type == p.type && again->user_id == p.user_id);
    FUZZ_CHECK(again->app_id == p.app_id && again->cluster_id == p.cluster_id);
    if (table) check_table(*table);
}

template <typename T>
void decode_and_check(MethodReader& in) {
    T m{};
    if (!decode(in, m)) return;
    if constexpr (requires { m.arguments; }) check_table(m.arguments);
    if constexpr (requires { m.client_properties; }) check_table(m.client_properties);
}

void decode_method(std::string_view payload) {
    MethodReader in(payload);
    uint32_t method = in.u32();
    if (!in.ok()) return;
    switch (method) {
        case connection_start_ok:
            return decode_and_check<ConnectionStartOk>(in);
        case connection_tune_ok:
            return decode_and_check<ConnectionTuneOk>(in);
        case connection_open:
            return decode_and_check<ConnectionOpen>(in);
        case connection_close:
        case channel_close:
            return decode_and_check<CloseArgs>(in);
        case channel_flow:
            return decode_and_check<ChannelFlow>(in);
        case exchange_declare:
            return decode_and_check<ExchangeDeclare>(in);
        case exchange_delete:
            return decode_and_check<ExchangeDelete>(in);
        case exchange_bind:
        case exchange_unbind:
            return decode_and_check<ExchangeBind>(in);
        case queue_declare:
            return decode_and_check<QueueDeclare>(in);
        case queue_bind:
        case queue_unbind: {
            QueueBind m{};
            if (decode(in, m, method == queue_bind)) check_table(m.arguments);
            return;
        }
        case queue_purge:
            return decode_and_check<QueuePurge>(in);
        case queue_delete:
            return decode_and_check<QueueDelete>(in);
        case basic_qos:
            return decode_and_check<BasicQos>(in);
        case basic_consume:
            return decode_and_check<BasicConsume>(in);
        case basic_cancel:
            return decode_and_check<BasicCancel>(in);
        case basic_publish:
            return decode_and_check<BasicPublish>(in);
        case basic_get:
            return decode_and_check<BasicGet>(in);
        case basic_ack: {
            BasicAck m{};
            decode_basic_ack(in, m);
            return;
        }
        case basic_nack: {
            BasicAck m{};
            decode_basic_nack(in, m);
            return;
        }
        case basic_reject: {
            BasicAck m{};
            decode_basic_reject(in, m);
            return;
        }
        case basic_recover:
        case basic_recover_async:
            return decode_and_check<BasicRecover>(in);
        case confirm_select:
            return decode_and_check<ConfirmSelect>(in);
        default:
            return;
    }
}

void fuzz_codec(std::string_view input) {
    if (input.starts_with(kProtocolHeader)) input.remove_prefix(kProtocolHeader.size());
    while (!input.empty()) {
        FrameParse parsed = parse_frame(input, kDefaultFrameMax);
        if (parsed.status != FrameParse::Status::complete) return;
        FUZZ_CHECK(parsed.consumed >= kFrameOverhead && parsed.consumed <= input.size());
        FUZZ_CHECK(parsed.frame.payload.size() + kFrameOverhead == parsed.consumed);
        if (parsed.frame.type == FrameType::method) decode_method(parsed.frame.payload);
        if (parsed.frame.type == FrameType::header)
            if (auto header = decode_content_header(parsed.frame.payload)) check_properties(header->properties);
        input.remove_prefix(parsed.consumed);
    }
}

// ---- the connection ---------------------------------------------------------------------------

struct FakeTransport final : Transport {
    bool closing = false;
    bool paused = false;
    void wake_writer() override {}
    void close_after_writing() override { closing = true; }
    void set_reading_paused(bool p) override { paused = p; }
};

// What pika sends before its first channel method: protocol header, start-ok (PLAIN guest/guest),
// tune-ok, connection.open "/", channel.open 1.
const std::string& handshake() {
    static const std::string bytes = [] {
        mb::ByteBuffer b;
        b.append(kProtocolHeader);
        MethodWriter(b, 0, connection_start_ok)
            .table({})
            .shortstr("PLAIN")
            .longstr(std::string_view("\0guest\0guest", 12))
            .shortstr("en_US")
            .end();
        MethodWriter(b, 0, connection_tune_ok).short_(2047).long_(kDefaultFrameMax).short_(0).end();
        MethodWriter(b, 0, connection_open).shortstr("/").shortstr("").bits({false}).end();
        MethodWriter(b, 1, channel_open).shortstr("").end();
        return std::string(b.readable());
    }();
    return bytes;
}

void fuzz_connection(std::string_view input) {
    int64_t now_ms = 1'700'000'000'000;
    Broker broker([&now_ms] { return now_ms; });
    broker.add_vhost("/");
    broker.users().put_user("guest", "guest", {"administrator"});
    broker.users().set_permission("/", "guest", Permission(".*", ".*", ".*"));
    FakeTransport transport;
    auto connection = std::make_unique<Connection>(broker, transport, "127.0.0.1:50000", true);

    // Random read sizes from a generator seeded by the input: the same input always splits the
    // same way (a finding must reproduce), and a frame often arrives in pieces, as over TCP.
    std::string stream = input.starts_with("AMQP") ? std::string(input) : handshake() + std::string(input);
    std::string_view rest = stream;
    uint64_t seed = 0x2545F4914F6CDD1DULL ^ input.size();
    mb::ByteBuffer in;
    while (!rest.empty() && !transport.closing) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t chunk = std::min<size_t>(rest.size(), 1 + (seed >> 54));  // 1..1024 bytes a read
        in.append(rest.substr(0, chunk));
        rest.remove_prefix(chunk);
        connection->on_bytes(in);
        connection->end_of_batch();
        // The replies are "written" at once: a peer that reads everything. (Back-pressure from a
        // peer that does not read is net_fuzz.py's and the session tests' subject.)
        connection->out().clear();
        if (transport.paused) connection->on_output_drained();
        now_ms += 250;
    }
    connection->shutdown();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    mb::log::set_level(mb::log::Level::error);  // a "closed with error" line per input is noise
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    fuzz_codec(input);
    fuzz_connection(input);
    return 0;
}
