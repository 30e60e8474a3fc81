// Micro-benchmarks of the RESP codec: parsing a pipelined batch of commands, and encoding replies.
//   build/benchmarks/miniredis/miniredis_resp_bench
#include <benchmark/benchmark.h>

#include <string>

#include "byte_buffer.hpp"
#include "protocol/reply.hpp"
#include "protocol/resp_parser.hpp"

namespace {

std::string batch(int commands) {
    std::string out;
    for (int i = 0; i < commands; ++i) out += "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000001234\r\n$3\r\nxxx\r\n";
    return out;
}

// What the server does per read with redis-benchmark -P 16: parse every command in the buffer.
void BM_ParsePipelinedSet(benchmark::State& state) {
    std::string input = batch(16);
    miniredis::resp::RequestParser parser;
    for (auto _ : state) {
        std::string_view rest = input;
        while (parser.parse(rest) == miniredis::resp::RequestParser::Status::complete) {
            benchmark::DoNotOptimize(parser.args().data());
            rest.remove_prefix(parser.consumed());
            parser.reset();
        }
    }
    state.SetItemsProcessed(state.iterations() * 16);
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}
BENCHMARK(BM_ParsePipelinedSet);

void BM_ParseLargeValueInChunks(benchmark::State& state) {
    std::string value(1 << 20, 'v');
    std::string input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    for (auto _ : state) {
        miniredis::resp::RequestParser parser;
        // Arriving in 16 KB reads: the parser must not rescan what it already saw.
        for (size_t have = 16384; have < input.size(); have += 16384)
            benchmark::DoNotOptimize(parser.parse(std::string_view(input).substr(0, have)));
        benchmark::DoNotOptimize(parser.parse(input));
    }
    // 65 calls per iteration: each resumes where the last stopped, so the cost does not grow
    // with the value (a parser that restarted would rescan up to 1 MB per call).
    state.SetItemsProcessed(state.iterations() * 65);
}
BENCHMARK(BM_ParseLargeValueInChunks);

void BM_EncodeReplies(benchmark::State& state) {
    mb::ByteBuffer out;
    for (auto _ : state) {
        miniredis::Reply reply(out, 2);
        for (int i = 0; i < 16; ++i) {
            reply.ok();
            reply.bulk("a 16-byte value!");
            reply.integer(1234567);
        }
        out.clear();
    }
    state.SetItemsProcessed(state.iterations() * 48);
}
BENCHMARK(BM_EncodeReplies);

}  // namespace

BENCHMARK_MAIN();
