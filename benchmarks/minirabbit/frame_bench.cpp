// Decoding what a publisher sends: for each message a basic.publish method frame, a content header
// frame and a body frame - frame parsing, method argument decoding and property decoding, the
// work minirabbit does per publish before routing. Reported per message.
#include <benchmark/benchmark.h>

#include "protocol/content_header.hpp"
#include "protocol/frame.hpp"
#include "protocol/methods.hpp"

using namespace minirabbit::amqp;

namespace {

mb::ByteBuffer publishes(int count, size_t body_size) {
    mb::ByteBuffer out;
    BasicProperties props;
    props.flags = prop::content_type | prop::delivery_mode;
    props.content_type = "application/json";
    props.delivery_mode = 2;
    mb::ByteBuffer raw;
    encode_properties(raw, props);
    std::string body(body_size, 'b');
    for (int i = 0; i < count; ++i) {
        MethodWriter(out, 1, basic_publish)
            .short_(0)
            .shortstr("orders")
            .shortstr("order.eu.created")
            .bits({false, false})
            .end();
        write_content_header(out, 1, body.size(), raw.readable());
        write_body_frames(out, 1, body, kDefaultFrameMax);
    }
    return out;
}

void BM_DecodePublish(benchmark::State& state) {
    const int kMessages = 1000;
    mb::ByteBuffer wire = publishes(kMessages, static_cast<size_t>(state.range(0)));
    for (auto _ : state) {
        std::string_view rest = wire.readable();
        size_t bytes = 0;
        while (!rest.empty()) {
            FrameParse parsed = parse_frame(rest, kDefaultFrameMax);
            if (parsed.frame.type == FrameType::method) {
                MethodReader in(parsed.frame.payload);
                in.u32();
                BasicPublish m;
                decode(in, m);
                benchmark::DoNotOptimize(m);
            } else if (parsed.frame.type == FrameType::header) {
                auto header = decode_content_header(parsed.frame.payload);
                benchmark::DoNotOptimize(header);
            } else {
                bytes += parsed.frame.payload.size();
            }
            rest.remove_prefix(parsed.consumed);
        }
        benchmark::DoNotOptimize(bytes);
    }
    state.SetItemsProcessed(state.iterations() * kMessages);
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire.size()));
}
BENCHMARK(BM_DecodePublish)->Arg(100)->Arg(4096);

void BM_EncodeDeliver(benchmark::State& state) {
    // The other direction: basic.deliver + header + body into an output buffer (reused, as a
    // connection reuses its own), per message.
    std::string body(static_cast<size_t>(state.range(0)), 'b');
    std::string props(
        "\x90\x00\x10"
        "application/json\x02",
        20);
    mb::ByteBuffer out;
    for (auto _ : state) {
        MethodWriter(out, 1, basic_deliver)
            .shortstr("amq.ctag-abcdefghijklmnopqrstuv")
            .longlong(42)
            .bits({false})
            .shortstr("orders")
            .shortstr("order.eu.created")
            .end();
        write_content_header(out, 1, body.size(), props);
        write_body_frames(out, 1, body, kDefaultFrameMax);
        if (out.size() > (1 << 19)) out.clear();  // below ByteBuffer's shrink threshold
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeDeliver)->Arg(100)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
