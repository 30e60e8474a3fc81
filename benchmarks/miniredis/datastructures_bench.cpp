// Micro-benchmarks of the hot data-structure operations, and of whole commands through the
// dispatcher (parse -> table -> handler -> reply) without sockets.
//   build/benchmarks/miniredis/miniredis_datastructures_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/broker.hpp"
#include "model/dict.hpp"
#include "model/small_string.hpp"
#include "model/zset.hpp"

using namespace miniredis;

namespace {

std::vector<std::string> keys(size_t n) {
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) out.push_back("key:" + std::to_string(100000000 + i));
    return out;
}

void BM_DictFindHit(benchmark::State& state) {
    auto names = keys(static_cast<size_t>(state.range(0)));
    Dict<SmallString, SmallString> dict;
    for (auto& k : names) dict.insert(k).first->value.assign("value");
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(dict.find(names[i]));
        if (++i == names.size()) i = 0;
    }
}
BENCHMARK(BM_DictFindHit)->Arg(1000)->Arg(1000000);

void BM_DictInsertErase(benchmark::State& state) {
    auto names = keys(1000);
    Dict<SmallString, SmallString> dict;
    for (auto _ : state) {
        for (auto& k : names) dict.insert(k);
        for (auto& k : names) dict.erase(k);
    }
    state.SetItemsProcessed(state.iterations() * 2000);
}
BENCHMARK(BM_DictInsertErase);

void BM_ZSetAddAndRank(benchmark::State& state) {
    auto names = keys(static_cast<size_t>(state.range(0)));
    ZSet z;
    for (size_t i = 0; i < names.size(); ++i) z.set(names[i], static_cast<double>(i * 7 % 1000));
    size_t i = 0;
    for (auto _ : state) {
        z.set(names[i], static_cast<double>((i * 13) % 1000));  // move a member
        benchmark::DoNotOptimize(z.rank(names[i]));
        if (++i == names.size()) i = 0;
    }
}
BENCHMARK(BM_ZSetAddAndRank)->Arg(1000)->Arg(100000);

Config bench_config() {
    Config config;
    const char* argv[] = {"miniredis"};
    config.options.parse(config_options(), 1, argv, "miniredis", "");
    config.options.set("save", "");
    config.refresh();
    return config;
}

// A pipelined batch of 16 commands through process_input, as a session does per read.
void command_batch(benchmark::State& state, const std::string& one) {
    SystemClock clock;
    Broker server(clock, bench_config());
    Client& client = server.add_client("bench", "bench");
    std::string batch;
    for (int i = 0; i < 16; ++i) batch += one;
    for (auto _ : state) {
        client.in.append(batch);
        server.process_input(client);
        client.out.clear();
        server.pending_writes.clear();
        client.write_pending = false;
    }
    state.SetItemsProcessed(state.iterations() * 16);
    server.remove_client(client);
}

void BM_CommandSet(benchmark::State& state) {
    command_batch(state, "*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n");
}
BENCHMARK(BM_CommandSet);

void BM_CommandGet(benchmark::State& state) { command_batch(state, "*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n"); }
BENCHMARK(BM_CommandGet);

void BM_CommandIncr(benchmark::State& state) {
    command_batch(state, "*2\r\n$4\r\nINCR\r\n$20\r\ncounter:__rand_int__\r\n");
}
BENCHMARK(BM_CommandIncr);

void BM_CommandZadd(benchmark::State& state) {
    command_batch(state, "*4\r\n$4\r\nZADD\r\n$6\r\nmyzset\r\n$1\r\n0\r\n$20\r\nelement:__rand_int__\r\n");
}
BENCHMARK(BM_CommandZadd);

}  // namespace

BENCHMARK_MAIN();
